import { createThingSpeakSimulator } from '../../src/simulator/thingspeak-simulator';
import { testEnv } from '../helpers/test-core';
import { startProcess, stopProcess, type RunningProcess } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';
import { itDatabaseUrl } from '../setup/test-env';
import { nextChannelId } from '../helpers/factories';

const DB_PASSWORD = 'DbPassw0rdNeverLogged';
const ADMIN_KEY = 'admin-key-never-logged-0123456789abcdef';
const READ_KEY = 'TSREADKEYNEVERLOGGED7';
const ENCRYPTION_KEY = Buffer.alloc(32, 9).toString('base64');

/** Real API and worker processes; every line they print is checked for secrets. */
describe('secrets never reach a log', () => {
  const procs: RunningProcess[] = [];
  const sim = createThingSpeakSimulator();

  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p)));
    await sim.close();
  });

  test('when the system runs with a DB password, an admin key and private read keys, then no output line contains them', async () => {
    const { url: simUrl } = await sim.listen(0);
    // Trust auth ignores the password, so a URL with one still connects and reaches every log path.
    const db = new URL(itDatabaseUrl());
    db.password = DB_PASSWORD;
    const env = testEnv({
      DATABASE_URL: db.toString(),
      ADMIN_API_KEY: ADMIN_KEY,
      ENCRYPTION_KEY,
      THINGSPEAK_BASE_URL: simUrl,
      THINGSPEAK_TIMEOUT_MS: '2000',
      POLL_INTERVAL_MS: '1000',
      PORT: '0',
      LOG_LEVEL: 'debug',
    });
    const api = startProcess('api/main.ts', env);
    const worker = startProcess('workers/main.ts', env);
    procs.push(api, worker);
    const started = JSON.parse(await api.waitForLine(/api started/)) as { port: number };
    await api.waitForLine(/bootstrap admin key ready/);
    await worker.waitForLine(/worker started/);
    const base = `http://127.0.0.1:${started.port}`;
    const call = (path: string, init: RequestInit & { key?: string } = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${init.key ?? ADMIN_KEY}` } });

    const channelId = nextChannelId();
    sim.createChannel({ id: channelId, readKey: READ_KEY });
    sim.appendGenerated(channelId, 5, { start: new Date(Date.now() - 300_000), stepMs: 30_000 });
    const created = await call('/api/v1/nodes', {
      method: 'POST',
      body: JSON.stringify({ nodeKey: `secret-${channelId}`, label: 'Private', category: 'Sump', analyticsType: 'EvaraTank', channels: [{ channelId, readKey: READ_KEY }] }),
    });
    expect(created.status).toBe(201);
    const nodeId = ((await created.json()) as { data: { id: string } }).data.id;
    await waitFor(async () => {
      const res = await call(`/api/v1/nodes/${nodeId}`);
      return ((await res.json()) as { data: { channels: Array<{ sync: { storedEntries: number } }> } }).data.channels[0]!.sync.storedEntries === 5;
    }, { what: 'private channel polled', timeoutMs: 20_000 });

    // Failure paths that log: a wrong API key, a read key refused by ThingSpeak, a bad query.
    expect((await call('/api/v1/nodes', { key: `${ADMIN_KEY}-wrong` })).status).toBe(401);
    expect((await call(`/api/v1/nodes?api_key=${READ_KEY}`)).status).toBe(400);
    sim.setFault(channelId, { kind: 'minus1' });
    await worker.waitForLine(/THINGSPEAK_ACCESS_DENIED|access/i, 20_000);
    sim.setFault(channelId, null);

    const output = [...api.output, ...worker.output].join('\n');
    expect(output.length).toBeGreaterThan(1000);
    for (const secret of [DB_PASSWORD, ADMIN_KEY, READ_KEY, ENCRYPTION_KEY]) expect(output).not.toContain(secret);
    expect(output).toContain('****'); // the masked URL in the banner
  });
});

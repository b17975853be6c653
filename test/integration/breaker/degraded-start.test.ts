import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries } from '../../helpers/readings';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait-for';
import { issueKey } from '../../helpers/http';
import { itDatabaseUrl } from '../../setup/test-env';

/** API and worker processes started while their database is down start degraded and recover alone. */
describe('start-up while the database is down', () => {
  const sim = createThingSpeakSimulator();
  const proxy = createTcpProxy({ host: '127.0.0.1', port: Number(new URL(itDatabaseUrl()).port || 5432) });
  const procs: RunningProcess[] = [];
  let direct: TestCore;

  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p)));
    await direct?.close();
    await proxy.cut();
    await sim.close();
  });

  test('when the database is unreachable at start, then both processes start degraded and recover with no restart', async () => {
    const { url: simUrl } = await sim.listen(0);
    await proxy.start();
    await proxy.cut(); // the port is now known and refuses connections
    direct = createTestCore({ THINGSPEAK_BASE_URL: simUrl });
    const viaProxy = new URL(itDatabaseUrl());
    viaProxy.port = String(proxy.port);
    const adminKey = await issueKey(direct, { role: 'superadmin' });
    const { node, channel } = await createNode(direct);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 8, { start: new Date(Date.now() - 300_000), stepMs: 30_000 });

    const env = testEnv({
      QUEUE_PREFIX: direct.prefix,
      DATABASE_URL: viaProxy.toString(),
      THINGSPEAK_BASE_URL: simUrl,
      DB_INIT_ATTEMPTS: '2',
      DB_INIT_BACKOFF_MS: '100',
      CIRCUIT_PROBE_BASE_MS: '300',
      CIRCUIT_PROBE_MAX_MS: '600',
      CIRCUIT_CHECK_MS: '100',
      POLL_INTERVAL_MS: '1000',
      PORT: '0',
    });
    const worker = startProcess('workers/main.ts', env);
    const api = startProcess('api/main.ts', env);
    procs.push(worker, api);
    await worker.waitForLine(/starting degraded/);
    await worker.waitForLine(/worker started/);
    await api.waitForLine(/starting degraded/);
    const port = (JSON.parse(await api.waitForLine(/api started/)) as { port: number }).port;
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });

    expect((await direct.breaker.snapshot()).state).toBe('open');
    expect((await get('/readyz')).status).toBe(200);
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', services: { database: { status: 'down' } } });
    const refused = await get(`/api/v1/nodes/${node.id}`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();

    await proxy.start();

    await waitFor(async () => (await get(`/api/v1/nodes/${node.id}`)).status === 200, { what: 'API answering again', timeoutMs: 20_000 });
    await waitFor(async () => (await direct.breaker.snapshot()).state === 'closed', { what: 'breaker closed by the worker probe', timeoutMs: 20_000 });
    await waitFor(async () => (await storedEntries(direct, channel.id)).length === 8, { what: 'channel polled after recovery', timeoutMs: 20_000 });
    expect(worker.child.exitCode).toBeNull();
    expect(api.child.exitCode).toBeNull();
  });
});

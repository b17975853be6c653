import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries } from '../../helpers/readings';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';

/** Two real worker processes, one Redis, one database behind a proxy that is cut and restored. */
describe('one breaker shared by two worker processes', () => {
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

  const lines = (p: RunningProcess, text: string) => p.output.filter((l) => l.includes(text)).map((l) => JSON.parse(l) as Record<string, unknown>);

  test('when both workers hit the dead database, then their failures add up, one trips it, one probe closes it, and nothing is lost', async () => {
    const { url: simUrl } = await sim.listen(0);
    await proxy.start();
    direct = createTestCore({ THINGSPEAK_BASE_URL: simUrl });
    const viaProxy = new URL(itDatabaseUrl());
    viaProxy.port = String(proxy.port);
    const nodes = await Promise.all(Array.from({ length: 8 }, () => createNode(direct)));
    for (const { channel } of nodes) {
      sim.createChannel({ id: channel.channelId });
      sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 300_000), stepMs: 30_000 });
    }
    const env = testEnv({
      QUEUE_PREFIX: direct.prefix,
      DATABASE_URL: viaProxy.toString(),
      THINGSPEAK_BASE_URL: simUrl,
      POLL_INTERVAL_MS: '3600000',
      POLL_CONCURRENCY: '1',
      CIRCUIT_FAILURE_THRESHOLD: '5',
      CIRCUIT_PROBE_BASE_MS: '400',
      CIRCUIT_PROBE_MAX_MS: '800',
      CIRCUIT_CHECK_MS: '100',
      CIRCUIT_RAMP_MS: '300',
    });
    const w1 = startProcess('workers/main.ts', env);
    const w2 = startProcess('workers/main.ts', env);
    procs.push(w1, w2);
    await Promise.all([w1.waitForLine(/worker started/), w2.waitForLine(/worker started/)]);

    // A database that hangs: each failing poll holds its worker for the connect timeout (5 s), so
    // both workers (concurrency 1) are busy failing at the same time and both add to the count.
    proxy.blackhole();
    await direct.producers.enqueuePolls(nodes.map(({ channel }) => ({ nodeChannelId: channel.id })), 'on-demand');
    await waitFor(async () => (await direct.breaker.snapshot()).state === 'open', { what: 'breaker open', timeoutMs: 40_000 });
    await waitFor(() => direct.queues.poll.isPaused(), { what: 'queue paused' });
    proxy.blackhole(false);
    await waitFor(async () => (await direct.breaker.snapshot()).state === 'closed', { what: 'closed', timeoutMs: 20_000 });
    await waitFor(async () => {
      for (const { channel } of nodes) if ((await storedEntries(direct, channel.id)).length !== 5) return false;
      return true;
    }, { what: 'every channel stored after recovery', timeoutMs: 30_000 }).catch(async (err) => {
      const jobs = await direct.queues.poll.getJobs(['waiting', 'delayed', 'active', 'failed', 'completed']);
      process.stderr.write(`JOBS ${JSON.stringify(await Promise.all(jobs.map(async (j) => [j.id, await j.getState(), j.failedReason, j.delay, j.returnvalue])))}\n`);
      process.stderr.write(`W1 ${w1.output.filter((l) => !l.includes('channel polled')).slice(-15).join('\n')}\n`);
      throw err;
    });

    const parked = [...lines(w1, 'database unavailable: job parked until it is back'), ...lines(w2, 'database unavailable: job parked until it is back')];
    const countsBeforeOpen = parked.filter((l) => l.circuit === 'closed' || l.circuit === 'open').map((l) => l.failures as number);
    expect(lines(w1, 'database unavailable: job parked until it is back').length).toBeGreaterThan(0);
    expect(lines(w2, 'database unavailable: job parked until it is back').length).toBeGreaterThan(0);
    expect(new Set(countsBeforeOpen.filter((n) => n <= 5))).toEqual(new Set([1, 2, 3, 4, 5])); // one shared count, not two
    expect(lines(w1, 'circuit opened').length + lines(w2, 'circuit opened').length).toBe(1);
    expect(lines(w1, 'database recovered: circuit closed').length + lines(w2, 'database recovered: circuit closed').length).toBe(1);
    expect(await direct.queues.poll.isPaused()).toBe(false);
  });
});

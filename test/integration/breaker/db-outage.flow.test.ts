import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { storedEntries } from '../../helpers/readings';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';
import { apiClient, issueKey } from '../../helpers/http';

/**
 * A worker whose database goes away mid-polling: the breaker opens after exactly the threshold,
 * the poll queue is paused (as another process sees it), the database comes back, the probe
 * closes the breaker, the queue resumes, and every entry written meanwhile is stored once.
 */
describe('database outage while polling', () => {
  const sim = createThingSpeakSimulator();
  const proxy = createTcpProxy({ host: '127.0.0.1', port: Number(new URL(itDatabaseUrl()).port || 5432) });
  let direct: TestCore; // sees the real database and Redis: plays "another process"
  let worker: TestCore; // reaches the database only through the proxy
  let running: RunningWorkers;

  beforeAll(async () => {
    const { url } = await sim.listen(0);
    await proxy.start();
    const viaProxy = new URL(itDatabaseUrl());
    viaProxy.port = String(proxy.port);
    direct = createTestCore({ THINGSPEAK_BASE_URL: url });
    worker = createTestCore({
      QUEUE_PREFIX: direct.prefix,
      DATABASE_URL: viaProxy.toString(),
      THINGSPEAK_BASE_URL: url,
      POLL_INTERVAL_MS: '1000',
      CIRCUIT_FAILURE_THRESHOLD: '5',
      CIRCUIT_PROBE_BASE_MS: '500',
      CIRCUIT_PROBE_MAX_MS: '1000',
      CIRCUIT_CHECK_MS: '100',
      CIRCUIT_RAMP_MS: '300',
      POLL_CONCURRENCY: '2',
    });
    running = await startWorkers(worker);
  });

  afterAll(async () => {
    await running.close(true);
    await worker.close();
    await direct.close();
    await proxy.cut();
    await sim.close();
  });

  test('when the database is cut and restored, then the breaker opens at the threshold, pauses polling, and nothing is lost', async () => {
    const nodes = await Promise.all(Array.from({ length: 4 }, () => createNode(direct)));
    for (const { channel } of nodes) {
      sim.createChannel({ id: channel.channelId });
      sim.appendGenerated(channel.channelId, 10, { start: new Date(Date.now() - 600_000), stepMs: 30_000 });
    }
    const mirrored = async () => {
      for (const { channel } of nodes) if ((await storedEntries(direct, channel.id)).length !== sim.entries(channel.channelId).length) return false;
      return true;
    };
    await waitFor(mirrored, { what: 'mirrored before the outage', timeoutMs: 20_000 });
    // An API on the proxied database: what operators see through the outage.
    const api = apiClient(worker, await issueKey(direct, { role: 'superadmin' }));
    expect((await api.get('/health').expect(200)).body).toMatchObject({ status: 'ok', services: { circuit: { state: 'closed' }, thingspeak: { status: 'up' } } });

    await proxy.cut();
    for (const { channel } of nodes) sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 5_000), stepMs: 1_000 });
    // On-demand polls too, so failures arrive quickly whatever the tick is doing.
    for (const { channel } of nodes) await direct.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });

    const opened = await waitFor(async () => {
      const s = await direct.breaker.snapshot();
      return s.state === 'open' ? s : undefined;
    }, { what: 'breaker open', timeoutMs: 30_000 });
    expect(opened!.failures).toBe(5);
    await waitFor(() => direct.queues.poll.isPaused(), { what: 'poll queue paused, seen from another process' });
    const polledDuringOutage = (await direct.queues.poll.getJobCounts('failed')).failed;
    const degraded = await waitFor(async () => {
      const res = await api.get('/health');
      return res.body.services?.circuit?.state !== 'closed' ? res : undefined;
    }, { what: '/health reporting the open circuit', timeoutMs: 10_000 });
    expect(degraded!.status).toBe(200);
    expect(degraded!.body).toMatchObject({ status: 'degraded', services: { database: { status: 'down' }, redis: { status: 'up' }, queues: { poll: { paused: true } } } });
    await api.get('/readyz').expect(200);
    const refused = await api.get('/api/v1/nodes').expect(503);
    expect(refused.body.code).toBe('DATABASE_UNAVAILABLE');

    for (const { channel } of nodes) sim.appendGenerated(channel.channelId, 3, { start: new Date(Date.now() - 2_000), stepMs: 500 });
    await proxy.start();

    await waitFor(async () => (await direct.breaker.snapshot()).state === 'closed', { what: 'breaker closed by a probe', timeoutMs: 20_000 });
    await waitFor(async () => !(await direct.queues.poll.isPaused()), { what: 'poll queue resumed' });
    await waitFor(mirrored, { what: 'every entry of the outage stored', timeoutMs: 30_000 });

    for (const { channel } of nodes) {
      const stored = await storedEntries(direct, channel.id);
      expect(stored.map((s) => s.entryId)).toEqual(sim.entries(channel.channelId).map((e) => e.entryId).sort((x, y) => x - y));
    }
    expect(polledDuringOutage).toBe(0); // parked, not failed: no attempts burnt
    expect((await direct.breaker.transitions()).map((t) => `${t.from}->${t.to}`)).toEqual(['open->closed', 'closed->open']);
    const circuit = await api.get('/api/v1/system/circuit').expect(200);
    expect(circuit.body.data).toMatchObject({ state: 'closed', failures: 0, threshold: 5 });
    expect(circuit.body.data.transitions.map((t: { to: string }) => t.to)).toEqual(['closed', 'open']);
    await waitFor(async () => (await api.get('/health')).body.status === 'ok', { what: '/health ok again' });
  });

  test('when an operator paused the queue by hand, then the breaker does not resume it', async () => {
    await direct.queues.poll.pause();
    await waitFor(async () => (await direct.breaker.snapshot()).state === 'closed', { what: 'closed' });
    for (let i = 0; i < 3; i++) await running.checkBreaker();
    expect(await direct.queues.poll.isPaused()).toBe(true);
    await direct.queues.poll.resume();
  });
});

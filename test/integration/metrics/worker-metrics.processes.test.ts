import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { sampleValue } from '../../helpers/prometheus-text';
import { waitFor } from '../../helpers/wait-for';
import { databaseConnectionsNeeded } from '../../../src/shared/queues/worker-sizing';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

const METRICS_TOKEN = `metrics-${randomUUID()}-${randomUUID()}`;

/** A real worker process (tsx) scraped over HTTP on its own metrics port, polling the simulator. */
describe('worker /metrics', () => {
  let sim: Simulator;
  let core: TestCore;
  let worker: RunningProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    const simUrl = (await sim.listen(0)).url;
    core = createTestCore({ THINGSPEAK_BASE_URL: simUrl });
    worker = startProcess(
      'workers/main.ts',
      testEnv({
        QUEUE_PREFIX: core.prefix,
        THINGSPEAK_BASE_URL: simUrl,
        THINGSPEAK_TIMEOUT_MS: '5000',
        // Only the polls this test enqueues (and their evaluations): no tick fanning out over other tests' channels.
        WORKER_QUEUES: 'poll,alerts',
        POLL_INTERVAL_MS: '3600000',
        WORKER_METRICS_PORT: '0',
        WORKER_METRICS_HOST: '127.0.0.1',
        METRICS_TOKEN,
      }),
    );
    const line = await worker.waitForLine(/"msg":"metrics listening"/);
    const { port } = JSON.parse(line) as { port: number };
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    await worker.waitForLine(/worker started/);
  });

  afterAll(async () => {
    if (worker) await stopProcess(worker);
    sim.setFault('*', null);
    await sim.close();
    await core.close();
  });

  const scrape = async () => {
    const res = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
    return res.text();
  };

  test('when scraped without the token, then 401; another path is a 404', async () => {
    const unauthenticated = await fetch(metricsUrl);
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ status: 'error', code: 'UNAUTHORIZED' });
    expect((await fetch(metricsUrl.replace('/metrics', '/debug'), { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404);
  });

  test('given a channel polled by the worker, when scraped, then the poll, the readings stored and its duration are counted', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 25, { start: new Date(Date.now() - 3600_000), stepMs: 60_000 });

    await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });

    const text = await waitFor(async () => {
      const t = await scrape();
      return (sampleValue(t, 'evara_polls_completed_total', { outcome: 'polled' }) ?? 0) >= 1 ? t : '';
    }, { what: 'a completed poll in the worker metrics', timeoutMs: 20_000 });
    expect(sampleValue(text, 'evara_polls_completed_total', { outcome: 'polled', service: 'worker' })).toBe(1);
    expect(sampleValue(text, 'evara_readings_stored_total')).toBe(sim.entries(channel.channelId).length);
    expect(sampleValue(text, 'evara_readings_stored_total')).toBe(25);
    expect(sampleValue(text, 'evara_poll_duration_seconds_count', { result: 'completed' })).toBe(1);
    expect(sampleValue(text, 'evara_poll_duration_seconds_sum', { result: 'completed' })).toBeGreaterThan(0);
    expect(sampleValue(text, 'evara_jobs_finished_total', { queue: 'poll', job: 'poll-channel', result: 'completed' })).toBe(1);
    expect(sampleValue(text, 'evara_db_breaker_open')).toBe(0);
    expect(sampleValue(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(text, 'evara_queue_jobs', { queue: 'poll', state: 'active' })).toBeGreaterThanOrEqual(0);
    // A worker's pool defaults to what its queues can use at once.
    expect(sampleValue(text, 'evara_db_pool_max_connections')).toBe(databaseConnectionsNeeded(['poll', 'alerts']));
    expect(sampleValue(text, 'evara_thingspeak_errors_total', { kind: 'access_denied' })).toBe(0);
    // Every query waited for a pooled connection and got one; nothing throttled the poll rate.
    expect(sampleValue(text, 'evara_db_pool_wait_seconds_count', { outcome: 'acquired' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'evara_db_pool_wait_seconds_count', { outcome: 'failed' })).toBe(0);
    expect(sampleValue(text, 'evara_poll_rate_limit_per_second')).toBe(1_000);
    // The poll stored readings, so their alert evaluation follows.
    await waitFor(async () => sampleValue(await scrape(), 'evara_alert_evaluations_total') === 1, { what: 'one alert evaluation counted' });
  });

  test('given ThingSpeak refuses a channel with a 401, when scraped, then the error is counted by kind and the poll as failed by code', async () => {
    const { channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 5, { start: new Date(Date.now() - 600_000), stepMs: 60_000 });
    sim.setFault(channel.channelId, { kind: 'json401' });
    const storedBefore = sampleValue(await scrape(), 'evara_readings_stored_total');

    await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });

    const text = await waitFor(async () => {
      const t = await scrape();
      return (sampleValue(t, 'evara_thingspeak_errors_total', { kind: 'access_denied' }) ?? 0) >= 1 ? t : '';
    }, { what: 'the ThingSpeak error in the worker metrics', timeoutMs: 20_000 });
    expect(sampleValue(text, 'evara_polls_failed_total', { code: 'THINGSPEAK_ACCESS_DENIED' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'evara_poll_duration_seconds_count', { result: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'evara_thingspeak_errors_total', { kind: 'server_error' })).toBe(0);
    expect(sampleValue(text, 'evara_readings_stored_total')).toBe(storedBefore);
  });

  test('when the worker is stopped, then its metrics server closes with it and it exits 0', async () => {
    expect(await stopProcess(worker)).toBe(0);
    expect(worker.output.some((l) => l.includes('"step":"metrics"') && l.includes('"msg":"closed"'))).toBe(true);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });

  test('given the metrics port is taken, when a worker starts, then it logs that and works on without metrics', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const { port } = taken.address() as AddressInfo;
    const second = startProcess('workers/main.ts', testEnv({ QUEUE_PREFIX: core.prefix, WORKER_QUEUES: 'poll', WORKER_METRICS_HOST: '127.0.0.1', WORKER_METRICS_PORT: String(port) }));
    try {
      await second.waitForLine(/metrics server could not start/);
      await second.waitForLine(/worker started/);
      expect(await stopProcess(second)).toBe(0);
    } finally {
      await stopProcess(second);
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});

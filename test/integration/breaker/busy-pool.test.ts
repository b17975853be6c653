import { randomUUID } from 'node:crypto';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createCoreMetricsRegistry } from '../../../src/shared/metrics/core-metrics';
import { poolStats } from '../../../src/shared/db/db-status';
import { createTestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { apiClient } from '../../helpers/http';
import { sampleValue } from '../../helpers/prometheus-text';
import { storedEntries } from '../../helpers/readings';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

/** Nothing listens here (this session's port range): a database that is simply gone. */
const CLOSED_PORT = 47231;

const POOL_WAIT_TIMEOUT = 'Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?';

/**
 * A full pool is not a dead database. A worker whose two pooled connections are held by slow
 * statements keeps its polls waiting (no attempt used, nothing counted towards the breaker), /health
 * says the database is busy, and the server's statement_timeout ends the slow statements. A database
 * that is really gone still opens the breaker.
 */
describe('busy pool versus unavailable database', () => {
  let sim: Simulator;
  let url: string;

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    url = (await sim.listen(0)).url;
  });

  afterAll(async () => {
    await sim.close();
  });

  test('when slow queries hold every connection of the pool, then the breaker stays closed while /health says busy, and polls complete afterwards', async () => {
    const prefix = `h-pool-${randomUUID().slice(0, 8)}`;
    const direct = createTestCore({ QUEUE_PREFIX: prefix, THINGSPEAK_BASE_URL: url });
    const worker = createTestCore({
      QUEUE_PREFIX: prefix,
      THINGSPEAK_BASE_URL: url,
      WORKER_QUEUES: 'poll',
      DATABASE_POOL_MAX: '2',
      // The server ends the held statements after 14 s: long enough for the polls' 10 s pool wait.
      DATABASE_STATEMENT_TIMEOUT_MS: '14000',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_CHECK_MS: '100',
      POLL_INTERVAL_MS: '3600000',
      POLL_MAX_PER_SECOND: '100',
      POLL_RATE_RECOVERY_MS: '3600000',
      WORKER_PARK_MS: '200',
    });
    const api = createTestCore({ QUEUE_PREFIX: prefix }, 'api');
    let running: RunningWorkers | undefined;
    try {
      const registry = createCoreMetricsRegistry(worker, 'worker');
      const nodes = await Promise.all([1, 2, 3].map(() => createNode(direct)));
      for (const { channel } of nodes) {
        sim.createChannel({ id: channel.channelId });
        sim.appendGenerated(channel.channelId, 4, { start: new Date(Date.now() - 240_000), stepMs: 60_000 });
      }
      running = await startWorkers(worker);

      const held = [1, 2].map(() => worker.db.raw('select pg_sleep(60)').then(() => undefined, (err: unknown) => err as Error & { code?: string }));
      await waitFor(() => poolStats(worker.db).inUse === 2, { what: 'both pooled connections held' });
      const jobs = await Promise.all(nodes.map(({ channel }) => direct.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' })));

      await waitFor(() => worker.logs.text().includes('database pool busy (the database answers)'), { what: 'a poll found the pool busy', timeoutMs: 20_000 });
      const health = await apiClient(api).get('/health').expect(200);

      expect(health.body).toMatchObject({ status: 'degraded', services: { database: { status: 'busy' }, circuit: { state: 'closed' } } });
      expect(health.body.reasons.join('\n')).toMatch(/database busy: the worker \(poll\) connection pool is full/);
      expect(await direct.breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 });
      expect(worker.logs.text()).not.toContain('circuit opened');
      expect(running.pollRateLimit()).toBe(50);
      const scrape = await registry.metrics();
      expect(sampleValue(scrape, 'evara_db_pool_wait_seconds_count', { outcome: 'failed' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(scrape, 'evara_db_pool_wait_seconds_bucket', { outcome: 'failed', le: '5' })).toBe(0);

      // The server cancels the held statements (statement_timeout), the pool drains, the polls go through.
      const ended = await Promise.all(held);
      expect(ended.map((e) => e?.code)).toEqual(['57014', '57014']);
      await waitFor(async () => (await Promise.all(jobs.map((j) => direct.queues.poll.getJobState(j.id!)))).every((s) => s === 'completed'), {
        what: 'every poll completed once the pool drained',
        timeoutMs: 30_000,
      });

      for (const job of jobs) expect((await direct.queues.poll.getJob(job.id!))!.attemptsMade).toBe(1);
      for (const { channel } of nodes) expect(await storedEntries(direct, channel.id)).toHaveLength(4);
      expect(await direct.breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 });
      expect(await direct.queues.poll.isPaused()).toBe(false);
    } finally {
      await running?.close(true);
      await api.close();
      await worker.close();
      await direct.close();
    }
  });

  test('when the database is really gone, then pool-wait timeouts are not taken for busy and the breaker opens', async () => {
    const prefix = `h-pool-${randomUUID().slice(0, 8)}`;
    const gone = new URL(itDatabaseUrl());
    gone.port = String(CLOSED_PORT);
    const direct = createTestCore({ QUEUE_PREFIX: prefix, THINGSPEAK_BASE_URL: url });
    const worker = createTestCore({
      QUEUE_PREFIX: prefix,
      THINGSPEAK_BASE_URL: url,
      DATABASE_URL: gone.toString(),
      WORKER_QUEUES: 'poll',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_CHECK_MS: '100',
      CIRCUIT_PROBE_BASE_MS: '600000',
      POLL_INTERVAL_MS: '3600000',
    });
    let running: RunningWorkers | undefined;
    try {
      // Knex says "Timeout acquiring a connection" for a dead server too: the reserved connection decides.
      expect(await worker.poolPressure.classify(new Error(POOL_WAIT_TIMEOUT))).toBe('unavailable');
      expect(await direct.poolPressure.classify(new Error(POOL_WAIT_TIMEOUT))).toBe('busy');

      const nodes = await Promise.all([1, 2, 3].map(() => createNode(direct)));
      running = await startWorkers(worker);
      await Promise.all(nodes.map(({ channel }) => direct.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' })));

      await waitFor(async () => (await direct.breaker.snapshot()).state === 'open', { what: 'breaker opened', timeoutMs: 20_000 });
      await waitFor(() => direct.queues.poll.isPaused(), { what: 'poll queue paused by the breaker' });

      expect((await direct.breaker.snapshot()).reason).toBe('ECONNREFUSED');
      expect(worker.logs.text()).toContain('database unavailable: circuit opened');
      expect(worker.logs.text()).not.toContain('database pool busy');
    } finally {
      await running?.close(true);
      await worker.close();
      await direct.close();
    }
  });
});

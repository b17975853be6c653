import { startBreakerWatch } from '../../../src/workers/breaker-watch';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { verifyWebhookSignature } from '../../../src/shared/notifications/webhook-signature';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';
import { subscribe } from './notification-fixtures';
import { startWebhookReceiver } from './webhook-receiver';

/**
 * Breaker transitions (degraded mode entered and left) become webhook notifications. Every worker
 * reconciles the breaker; however many notice a transition, it is notified once. These tests own
 * the only subscriptions to system events in the database (system events go to every subscriber).
 */
describe('system event notifications', () => {
  const quiet = { WORKER_QUEUES: 'notifications', CIRCUIT_CHECK_MS: '60000', CIRCUIT_PROBE_BASE_MS: '600000', NOTIFY_RELAY_MS: '3600000', NOTIFY_BACKOFF_MS: '100', CIRCUIT_RAMP_MS: '0' };

  const systemRows = (core: TestCore, subscriptionId: string, event: string) =>
    core.db('notifications').where({ subscription_id: subscriptionId, event }) as Promise<Array<{ id: string; status: string; event_key: string }>>;

  const systemJobs = async (core: TestCore) => (await core.queues.notifications.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'], 0, -1)).filter((j) => j.name === 'notify-system-event');

  test('when two reconcilers see the breaker open and then close, then each transition is notified once', async () => {
    const a = createTestCore(quiet);
    const b = createTestCore({ ...quiet, QUEUE_PREFIX: a.prefix });
    const receiver = await startWebhookReceiver();
    const watchA = startBreakerWatch(a);
    const watchB = startBreakerWatch(b);
    let running: RunningWorkers | undefined;
    const { subscription, secret } = await subscribe(a, { url: receiver.url, events: ['system.degraded', 'system.recovered'], communityId: null });
    try {
      running = await startWorkers(a);
      await a.breaker.forceOpen('test: database unreachable');
      const [opened] = await a.breaker.transitions(1);

      await Promise.all([watchA.check(), watchB.check()]);
      await Promise.all([watchA.check(), watchB.check()]);
      await waitFor(async () => (await systemRows(a, subscription.id, 'system.degraded')).some((r) => r.status === 'delivered'), { what: 'system.degraded delivered' });

      expect(await systemJobs(a)).toHaveLength(1);
      expect(await systemRows(a, subscription.id, 'system.degraded')).toHaveLength(1);
      const degraded = receiver.requests.filter((r) => r.headers['x-evara-event'] === 'system.degraded');
      expect(degraded).toHaveLength(1);
      expect(verifyWebhookSignature(degraded[0]!.headers['x-evara-signature'] as string, degraded[0]!.body, secret).ok).toBe(true);
      expect(JSON.parse(degraded[0]!.body.toString('utf8'))).toMatchObject({
        event: 'system.degraded',
        occurredAt: new Date(opened!.at).toISOString(),
        data: { at: new Date(opened!.at).toISOString(), reason: 'test: database unreachable' },
      });

      // A probe is due now; one reconciler closes the breaker (the database is up).
      await a.redis.hset(a.breaker.keys.state, 'nextProbeAt', '0');
      await Promise.all([watchA.check(), watchB.check()]);
      await Promise.all([watchA.check(), watchB.check()]);
      expect((await a.breaker.snapshot()).state).toBe('closed');
      await waitFor(async () => (await systemRows(a, subscription.id, 'system.recovered')).some((r) => r.status === 'delivered'), { what: 'system.recovered delivered' });

      expect(await systemJobs(a)).toHaveLength(2);
      expect(await systemRows(a, subscription.id, 'system.recovered')).toHaveLength(1);
      expect(receiver.requests.map((r) => r.headers['x-evara-event'])).toEqual(['system.degraded', 'system.recovered']);
    } finally {
      await a.db('webhook_subscriptions').where({ id: subscription.id }).delete();
      await running?.close(true);
      await Promise.all([watchA.stop(), watchB.stop()]);
      await receiver.close();
      await b.close();
      await a.close();
    }
  });

  test('when the database is down as the degraded event is processed, then the job waits without using attempts and notifies once it is back', async () => {
    const proxy = createTcpProxy({ host: '127.0.0.1', port: Number(new URL(itDatabaseUrl()).port || 5432) });
    await proxy.start();
    const viaProxy = new URL(itDatabaseUrl());
    viaProxy.port = String(proxy.port);
    const direct = createTestCore(quiet);
    const worker = createTestCore({ ...quiet, QUEUE_PREFIX: direct.prefix, DATABASE_URL: viaProxy.toString() });
    const receiver = await startWebhookReceiver();
    let running: RunningWorkers | undefined;
    const { subscription } = await subscribe(direct, { url: receiver.url, events: ['system.degraded'], communityId: null });
    try {
      running = await startWorkers(worker);
      await proxy.cut();
      const at = Date.now();
      const job = await direct.producers.enqueueSystemEvent({ event: 'system.degraded', at, reason: 'test: outage' });

      await waitFor(() => worker.logs.text().includes('database unavailable: job parked until it is back'), { what: 'the job parked' });
      expect(await direct.queues.notifications.getJobState(job.id!)).not.toBe('failed');
      expect(await systemRows(direct, subscription.id, 'system.degraded')).toHaveLength(0);

      await proxy.start();
      await waitFor(async () => (await systemRows(direct, subscription.id, 'system.degraded')).some((r) => r.status === 'delivered'), { what: 'delivered after the outage', timeoutMs: 30_000 });

      const done = await direct.queues.notifications.getJob(job.id!);
      expect(done?.finishedOn).toBeDefined();
      expect(done?.failedReason).toBeFalsy();
      expect(done?.attemptsMade).toBe(1); // the parks used no attempt: only the run that succeeded counts
      expect(await systemRows(direct, subscription.id, 'system.degraded')).toEqual([expect.objectContaining({ event_key: `system.degraded:${at}` })]);
      expect(receiver.requests.filter((r) => r.headers['x-evara-event'] === 'system.degraded')).toHaveLength(1);
    } finally {
      await direct.db('webhook_subscriptions').where({ id: subscription.id }).delete();
      await running?.close(true);
      await receiver.close();
      await worker.close();
      await direct.close();
      await proxy.cut();
    }
  });
});

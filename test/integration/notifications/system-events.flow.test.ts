import { startBreakerWatch } from '../../../src/workers/breaker-watch';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { verifyWebhookSignature } from '../../../src/shared/notifications/webhook-signature';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';
import { subscribe } from './notification-fixtures';
import { startWebhookReceiver } from './webhook-receiver';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { buildHealthReport } from '../../../src/shared/health/health-report';
import { createNode } from '../../helpers/factories';
import { storedEntries } from '../../helpers/readings';

/**
 * Breaker transitions (degraded mode entered and left) and ThingSpeak outages become webhook
 * notifications. Every worker watches both; however many notice a transition, it is notified once.
 * These tests own the only subscriptions to system events in the database (system events go to
 * every subscriber), so they stay in this one file.
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

  test('when most polls fail with ThingSpeak 5xx for THINGSPEAK_OUTAGE_MS, then two workers raise one system.degraded for thingspeak, and one system.recovered once polls succeed', async () => {
    const sim = createThingSpeakSimulator();
    const { url } = await sim.listen(0);
    const env = {
      ...quiet,
      QUEUE_PREFIX: `h-pool-${Math.random().toString(36).slice(2, 10)}`,
      WORKER_QUEUES: 'poll,notifications',
      THINGSPEAK_BASE_URL: url,
      THINGSPEAK_OUTAGE_MS: '1500',
      THINGSPEAK_OUTAGE_RATIO: '0.5',
      CIRCUIT_CHECK_MS: '100',
      POLL_INTERVAL_MS: '3600000',
    };
    const a = createTestCore(env);
    const b = createTestCore(env);
    const receiver = await startWebhookReceiver();
    const { subscription } = await subscribe(a, { url: receiver.url, events: ['system.degraded', 'system.recovered'], communityId: null });
    const runs: RunningWorkers[] = [];
    const thingspeakEvents = () =>
      receiver.requests
        .map((r) => JSON.parse(r.body.toString('utf8')) as { event: string; data: { dependency: string; reason: string } })
        .filter((body) => body.data.dependency === 'thingspeak');
    try {
      const nodes = await Promise.all([1, 2, 3, 4, 5, 6].map(() => createNode(a)));
      for (const { channel } of nodes) {
        sim.createChannel({ id: channel.channelId });
        sim.appendGenerated(channel.channelId, 2, { start: new Date(Date.now() - 120_000), stepMs: 60_000 });
      }
      sim.setFault('*', { kind: 'http500' });
      runs.push(await startWorkers(a), await startWorkers(b));
      await Promise.all(nodes.map(({ channel }) => a.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' })));

      // The first failures start the clock; the retries (5 s backoff) still fail, past 1.5 s.
      await waitFor(() => thingspeakEvents().some((e) => e.event === 'system.degraded'), { what: 'system.degraded (thingspeak) delivered', timeoutMs: 30_000 });
      const report = await buildHealthReport(a, Date.now());
      expect(report).toMatchObject({ status: 'degraded', services: { thingspeak: { status: 'outage' }, circuit: { state: 'closed' } } });
      expect(report.reasons).toContain('ThingSpeak outage: most polls fail (5xx, timeouts, network)');

      sim.setFault('*', null);
      await waitFor(() => thingspeakEvents().some((e) => e.event === 'system.recovered'), { what: 'system.recovered (thingspeak) delivered', timeoutMs: 40_000 });
      // Polling kept its backoff: every channel is mirrored in the end, nothing lost.
      await waitFor(async () => (await Promise.all(nodes.map(({ channel }) => storedEntries(a, channel.id)))).every((e) => e.length === 2), { what: 'every channel stored', timeoutMs: 40_000 });
      await Promise.all(runs.map((r) => r.checkPolling()));

      expect(thingspeakEvents().map((e) => e.event)).toEqual(['system.degraded', 'system.recovered']);
      expect(thingspeakEvents()[0]!.data.reason).toMatch(/^ThingSpeak failing: \d+ of \d+ recent polls failed/);
      const jobs = (await systemJobs(a)).map((j) => j.data as { event: string; dependency: string });
      expect(jobs.map((j) => `${j.event}/${j.dependency}`).sort()).toEqual(['system.degraded/thingspeak', 'system.recovered/thingspeak']);
      expect((await systemRows(a, subscription.id, 'system.degraded')).map((r) => r.event_key)).toEqual([expect.stringMatching(/^system\.degraded:thingspeak:\d+$/)]);
      expect((await buildHealthReport(a, Date.now())).services.thingspeak.status).toBe('up');
      expect(await a.breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 });
    } finally {
      await a.db('webhook_subscriptions').where({ id: subscription.id }).delete();
      for (const r of runs) await r.close(true);
      await receiver.close();
      await b.close();
      await a.close();
      await sim.close();
    }
  });
});

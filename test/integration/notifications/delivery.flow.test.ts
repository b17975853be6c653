import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { verifyWebhookSignature } from '../../../src/shared/notifications/webhook-signature';
import { deliverJobId } from '../../../src/shared/queues/jobs';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { addAlertNotification, notificationRow, subscribe, uniqueCommunity } from './notification-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

/**
 * Webhook delivery end to end: outbox row -> notifications queue -> worker -> a real HTTP
 * receiver, with retries on the queue's exponential backoff (shortened by NOTIFY_BACKOFF_MS).
 */
describe('webhook delivery', () => {
  let core: TestCore;
  let running: RunningWorkers;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    core = createTestCore({ WORKER_QUEUES: 'notifications', NOTIFY_BACKOFF_MS: '50', NOTIFY_RELAY_MS: '3600000', WEBHOOK_TIMEOUT_MS: '400', CIRCUIT_RAMP_MS: '0' });
    running = await startWorkers(core);
  });

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    await receiver.close();
  });

  afterAll(async () => {
    await running.close(true);
    await core.close();
  });

  /** A subscription in a fresh community and one alert notification for it, queued like the alert engine does. */
  async function queuedNotification(opts: { switchedOffBeforeSending?: boolean; attempts?: number } = {}) {
    const community = await uniqueCommunity(core);
    const { subscription, secret } = await subscribe(core, { url: receiver.url, events: ['alert.opened'], communityId: community.id });
    const n = await addAlertNotification(core, community.id, subscription.id);
    if (opts.switchedOffBeforeSending) await core.db('webhook_subscriptions').where({ id: subscription.id }).update({ active: false });
    if (opts.attempts) {
      // A shorter retry budget than the queue's 10 attempts, to reach the last attempt quickly.
      await core.queues.notifications.add('deliver-notification', { notificationId: n.id }, { jobId: deliverJobId(n.id), attempts: opts.attempts });
    } else {
      await core.producers.enqueueDeliveries([n.id]);
    }
    await core.repos.outbox.markEnqueued([n.id]);
    return { ...n, subscription, secret, communityId: community.id };
  }

  const jobState = (id: string) => core.queues.notifications.getJobState(deliverJobId(id));

  test('when the receiver fails three times and then succeeds, then it gets the notification once, with the same id and a valid signature each time', async () => {
    receiver.setResponder((n) => (n < 3 ? 500 : 200));
    const n = await queuedNotification();

    await waitFor(async () => (await notificationRow(core, n.id)).status === 'delivered', { what: 'notification delivered', timeoutMs: 20_000 });

    const seen = receiver.requests;
    expect(seen.map((r) => r.answered)).toEqual([500, 500, 500, 200]);
    expect(seen.map((r) => r.headers['x-evara-delivery'])).toEqual([n.id, n.id, n.id, n.id]);
    for (const r of seen) {
      expect(r.method).toBe('POST');
      expect(r.headers['x-evara-event']).toBe('alert.opened');
      expect(verifyWebhookSignature(r.headers['x-evara-signature'] as string, r.body, n.secret).ok).toBe(true);
      expect(verifyWebhookSignature(r.headers['x-evara-signature'] as string, r.body, 'not-the-secret-at-all').ok).toBe(false);
      expect(Math.abs(Number(r.headers['x-evara-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      // The signed timestamp is the one in the header: replaying it later fails the receiver's tolerance.
      expect(r.headers['x-evara-signature']).toMatch(new RegExp(`^t=${r.headers['x-evara-timestamp'] as string},v1=[0-9a-f]{64}$`));
      // Same bytes on every attempt: the receiver can compare or re-verify any of them.
      expect(r.body.equals(seen[0]!.body)).toBe(true);
    }
    const body = JSON.parse(seen[0]!.body.toString('utf8')) as Record<string, unknown>;
    expect(body).toEqual({ id: n.id, event: 'alert.opened', occurredAt: expect.any(String), data: n.data });

    const row = await notificationRow(core, n.id);
    expect(row).toMatchObject({ status: 'delivered', attempts: 4, last_status_code: 200, last_error: null });
    expect(row.delivered_at).toBeInstanceOf(Date);
    await waitFor(async () => (await jobState(n.id)) === 'completed', { what: 'job completed' });

    // The delivery log as the API shows it.
    const api = apiClient(core, await issueKey(core, { role: 'customer', communityId: n.communityId }));
    const log = await api.get(`/api/v1/webhooks/${n.subscription.id}/deliveries`).expect(200);
    expect(log.body.data).toEqual([expect.objectContaining({ id: n.id, event: 'alert.opened', status: 'delivered', attempts: 4, lastStatusCode: 200 })]);
    expect(JSON.stringify(log.body)).not.toContain(n.secret);
    expect(core.logs.text()).not.toContain(n.secret);
  });

  test('when a delivered notification is queued again (a relay duplicate, a redelivery after a crash), then nothing is sent again', async () => {
    const n = await queuedNotification();
    await waitFor(async () => (await jobState(n.id)) === 'completed', { what: 'first delivery' });
    expect(receiver.deliveriesOf(n.id)).toHaveLength(1);

    await core.queues.notifications.remove(deliverJobId(n.id));
    await core.producers.enqueueDeliveries([n.id]);
    await waitFor(async () => (await jobState(n.id)) === 'completed', { what: 'second job completed' });

    const job = await core.queues.notifications.getJob(deliverJobId(n.id));
    expect(job?.returnvalue).toEqual({ skipped: 'already delivered' });
    expect(receiver.deliveriesOf(n.id)).toHaveLength(1);
    expect((await notificationRow(core, n.id)).attempts).toBe(1);
  });

  test('when the receiver answers 410, then the notification is marked failed after one attempt and not retried', async () => {
    receiver.setResponder(() => 410);
    const n = await queuedNotification();

    await waitFor(async () => (await jobState(n.id)) === 'failed', { what: 'job failed' });

    const job = await core.queues.notifications.getJob(deliverJobId(n.id));
    expect(job?.attemptsMade).toBe(1);
    expect(receiver.deliveriesOf(n.id)).toHaveLength(1);
    expect(await notificationRow(core, n.id)).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410, last_error: 'http_4xx: receiver answered HTTP 410' });
  });

  test('when every attempt fails with 503, then the last attempt marks the notification failed', async () => {
    receiver.setResponder(() => 503);
    const n = await queuedNotification({ attempts: 3 });

    await waitFor(async () => (await jobState(n.id)) === 'failed', { what: 'job failed after its attempts' });

    expect(receiver.deliveriesOf(n.id)).toHaveLength(3);
    expect(await notificationRow(core, n.id)).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 503 });
  });

  test('when the receiver does not answer in time, then the attempt counts as a timeout and is retried', async () => {
    receiver.setResponder((n) => (n === 0 ? 'hold' : 200));
    const n = await queuedNotification();

    await waitFor(async () => (await notificationRow(core, n.id)).status === 'delivered', { what: 'delivered on the second attempt' });

    expect(receiver.deliveriesOf(n.id)).toHaveLength(2);
    expect(await notificationRow(core, n.id)).toMatchObject({ attempts: 2, last_status_code: 200 });
    const job = await core.queues.notifications.getJob(deliverJobId(n.id));
    expect(job?.attemptsMade).toBe(2); // BullMQ counts both: the timed-out attempt and the successful one
  });

  test('when the subscription was switched off, then the notification is marked failed and not sent', async () => {
    const n = await queuedNotification({ switchedOffBeforeSending: true });

    await waitFor(async () => (await jobState(n.id)) === 'completed', { what: 'job done' });

    expect(receiver.requests).toHaveLength(0);
    expect(await notificationRow(core, n.id)).toMatchObject({ status: 'failed', attempts: 0, last_error: 'not sent: the subscription is inactive' });
  });
});

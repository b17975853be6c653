import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { verifyWebhookSignature } from '../../../src/shared/notifications/webhook-signature';
import { deliverJobId } from '../../../src/shared/queues/jobs';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';
import { addAlertNotification, notificationRow, subscribe, uniqueCommunity } from './notification-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

/**
 * The outbox relay: a notification committed with its event but never queued (the writer crashed,
 * or Redis failed, between the commit and the enqueue) is queued by relay-notifications and delivered.
 */
describe('outbox relay', () => {
  let core: TestCore;
  let running: RunningWorkers | undefined;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    core = createTestCore({ WORKER_QUEUES: 'notifications', NOTIFY_RELAY_MS: '300' });
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await running?.close(true);
    await receiver.close();
    await core.close();
  });

  test('when an outbox row was written but its delivery never queued, then the relay queues it and it is delivered once', async () => {
    const community = await uniqueCommunity(core);
    const { subscription, secret } = await subscribe(core, { url: receiver.url, events: ['alert.opened'], communityId: community.id });
    // The "crash": the notification is committed and nothing else happens.
    const n = await addAlertNotification(core, community.id, subscription.id);
    expect(await notificationRow(core, n.id)).toMatchObject({ status: 'pending', enqueued_at: null });
    expect(await core.queues.notifications.getJob(deliverJobId(n.id))).toBeUndefined();

    running = await startWorkers(core);
    await waitFor(async () => (await notificationRow(core, n.id)).status === 'delivered', { what: 'relayed and delivered', timeoutMs: 20_000 });

    const row = await notificationRow(core, n.id);
    expect(row.enqueued_at).toBeInstanceOf(Date);
    expect(row.attempts).toBe(1);
    expect(receiver.deliveriesOf(n.id)).toHaveLength(1);
    expect(verifyWebhookSignature(receiver.deliveriesOf(n.id)[0]!.headers['x-evara-signature'] as string, receiver.deliveriesOf(n.id)[0]!.body, secret).ok).toBe(true);
    expect(core.logs.text()).toContain('outbox relay queued notifications that were never queued');

    // Later relay runs leave it alone: wait for two more completed relay runs, then nothing new was sent.
    const completedRelays = async () => (await core.queues.notifications.getJobs(['completed'], 0, -1)).filter((j) => j.name === 'relay-notifications').length;
    const before = await completedRelays();
    await waitFor(async () => (await completedRelays()) >= before + 2, { what: 'two more relay runs', timeoutMs: 10_000 });
    expect(receiver.deliveriesOf(n.id)).toHaveLength(1);
  });
});

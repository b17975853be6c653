import { verifyWebhookSignature } from '../../../src/shared/notifications/webhook-signature';
import { deliverJobId } from '../../../src/shared/queues/jobs';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait-for';
import { addAlertNotification, notificationRow, subscribe, uniqueCommunity } from './notification-fixtures';
import { startWebhookReceiver } from './webhook-receiver';

/** A real worker process killed (SIGKILL) in the middle of a delivery loses nothing. */
describe('worker killed mid-delivery', () => {
  const running: RunningProcess[] = [];
  let core: TestCore;

  beforeAll(() => {
    core = createTestCore();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => stopProcess(p)));
  });

  afterAll(async () => {
    await core.close();
  });

  function startWorker(): RunningProcess {
    // A short job lock: the killed worker's job is found stalled and handed out again quickly.
    const p = startProcess(
      'workers/main.ts',
      testEnv({ QUEUE_PREFIX: core.prefix, WORKER_QUEUES: 'notifications', WORKER_LOCK_MS: '1500', NOTIFY_RELAY_MS: '3600000', WEBHOOK_TIMEOUT_MS: '30000', NOTIFY_BACKOFF_MS: '100' }),
    );
    running.push(p);
    return p;
  }

  test('when the worker dies while the receiver holds the request open, then a new worker delivers the notification with the same delivery id', async () => {
    const receiver = await startWebhookReceiver((n) => (n === 0 ? 'hold' : 200));
    try {
      const community = await uniqueCommunity(core);
      const { subscription, secret } = await subscribe(core, { url: receiver.url, events: ['alert.opened'], communityId: community.id });
      const n = await addAlertNotification(core, community.id, subscription.id);
      const victim = startWorker();
      await victim.waitForLine(/worker started/);
      await core.producers.enqueueDeliveries([n.id]);
      await core.repos.outbox.markEnqueued([n.id]);

      await waitFor(() => receiver.requests.length === 1, { what: 'the victim sending the first attempt' });
      expect(await core.queues.notifications.getJobState(deliverJobId(n.id))).toBe('active');
      victim.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      // Killed before it could record anything: the row is still pending, not lost.
      expect(await notificationRow(core, n.id)).toMatchObject({ status: 'pending', attempts: 0 });

      const rescuer = startWorker();
      await rescuer.waitForLine(/worker started/);
      await waitFor(async () => (await notificationRow(core, n.id)).status === 'delivered', { what: 'delivered by the rescuer', timeoutMs: 30_000 });

      const seen = receiver.deliveriesOf(n.id);
      expect(seen).toHaveLength(2);
      expect(seen.map((r) => r.answered)).toEqual([undefined, 200]);
      expect(seen[1]!.body.equals(seen[0]!.body)).toBe(true);
      for (const r of seen) expect(verifyWebhookSignature(r.headers['x-evara-signature'] as string, r.body, secret).ok).toBe(true);
      // Only the rescuer's attempt was recorded: the victim died before writing its own.
      expect(await notificationRow(core, n.id)).toMatchObject({ attempts: 1, last_status_code: 200 });
      await waitFor(async () => (await core.queues.notifications.getJobState(deliverJobId(n.id))) === 'completed', { what: 'job completed' });
      expect(rescuer.output.some((l) => l.includes('webhook delivered'))).toBe(true);
      expect(rescuer.output.join('\n')).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  });
});

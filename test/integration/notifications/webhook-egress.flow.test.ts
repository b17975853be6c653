import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { deliverJobId } from '../../../src/shared/queues/jobs';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { addAlertNotification, notificationRow, subscribe, uniqueCommunity } from './notification-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

/** An IPv4 or IPv6 address, or a :port: what the delivery log must never show a tenant. */
const ADDRESS_OR_PORT = /\d+\.\d+\.\d+\.\d+|::|:\d{2,5}\b/;

/**
 * Outbound address policy at delivery time, through the real worker: the subscription rows are
 * written straight to the database, as rows created before the creation-time check (or names
 * that resolve differently later) would be, so only the connect-time guard stands in the way.
 */
describe('webhook egress policy at delivery', () => {
  let receiver: WebhookReceiver;
  let port: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    port = new URL(receiver.origin).port;
  });

  afterAll(async () => {
    await receiver.close();
  });

  /** A worker core with the given allow-list, and one notification to `url` queued on it. */
  async function queued(core: TestCore, url: string) {
    const community = await uniqueCommunity(core);
    const { subscription } = await subscribe(core, { url, events: ['alert.opened'], communityId: community.id });
    const n = await addAlertNotification(core, community.id, subscription.id);
    await core.producers.enqueueDeliveries([n.id]);
    await core.repos.outbox.markEnqueued([n.id]);
    return { ...n, subscriptionId: subscription.id, communityId: community.id };
  }

  describe('with the production default (WEBHOOK_ALLOWED_PRIVATE_CIDRS empty)', () => {
    let core: TestCore;
    let running: RunningWorkers;

    beforeAll(async () => {
      core = createTestCore({ WORKER_QUEUES: 'notifications', NOTIFY_RELAY_MS: '3600000', WEBHOOK_ALLOWED_PRIVATE_CIDRS: '' });
      running = await startWorkers(core);
    });

    afterAll(async () => {
      await running.close(true);
      await core.close();
    });

    test.each([
      ['a host name that resolves to loopback', () => `http://localhost:${port}/hooks/evara`],
      ['a literal loopback address', () => `http://127.0.0.1:${port}/hooks/evara`],
      ['an IPv4-mapped loopback address', () => `http://[::ffff:127.0.0.1]:${port}/hooks/evara`],
    ])('when the URL is %s, then the connection is refused as blocked_address, not retried, and the receiver gets nothing', async (_what, url) => {
      const n = await queued(core, url());

      await waitFor(async () => (await core.queues.notifications.getJobState(deliverJobId(n.id))) === 'failed', { what: 'delivery refused' });

      expect(receiver.deliveriesOf(n.id)).toHaveLength(0);
      const row = await notificationRow(core, n.id);
      expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
      expect(row.last_error).toMatch(/^blocked_address: /);
      expect((await core.queues.notifications.getJob(deliverJobId(n.id)))?.attemptsMade).toBe(1);

      // The tenant sees the class; the operator's log has the address.
      const api = apiClient(core, await issueKey(core, { role: 'customer', communityId: n.communityId }));
      const log = await api.get(`/api/v1/webhooks/${n.subscriptionId}/deliveries`).expect(200);
      const [entry] = log.body.data as Array<{ id: string; status: string; lastError: string }>;
      expect(entry).toMatchObject({ id: n.id, status: 'failed', lastError: expect.stringMatching(/^blocked_address: /) });
      expect(entry!.lastError).not.toMatch(ADDRESS_OR_PORT);
      expect(entry!.lastError).not.toContain(port);
      await waitFor(() => core.logs.text().includes(n.id), { what: 'the refusal logged' });
      const refusal = core.logs.records().find((r) => JSON.stringify(r).includes(n.id) && JSON.stringify(r).includes('ERR_BLOCKED_ADDRESS'));
      expect(JSON.stringify(refusal)).toMatch(/127\.0\.0\.1|7f00:1/);
    });
  });

  describe('with loopback allowed (WEBHOOK_ALLOWED_PRIVATE_CIDRS=127.0.0.0/8)', () => {
    let core: TestCore;
    let running: RunningWorkers;

    beforeAll(async () => {
      core = createTestCore({ WORKER_QUEUES: 'notifications', NOTIFY_RELAY_MS: '3600000', WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8' });
      running = await startWorkers(core);
    });

    afterAll(async () => {
      await running.close(true);
      await core.close();
    });

    test('when the URL names a host that resolves to loopback, then it is delivered', async () => {
      const n = await queued(core, `http://localhost:${port}/hooks/evara`);

      await waitFor(async () => (await notificationRow(core, n.id)).status === 'delivered', { what: 'delivered' });

      expect(receiver.deliveriesOf(n.id)).toHaveLength(1);
      expect(receiver.deliveriesOf(n.id)[0]!.headers.host).toBe(`localhost:${port}`);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { auditTrail } from '../../../src/shared/audit/audit-log.repository';
import { verifyWebhookSignature } from '../../../src/shared/notifications/webhook-signature';
import { deliverJobId } from '../../../src/shared/queues/jobs';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { uniqueCommunity } from './notification-fixtures';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

// Nothing listens there: these subscriptions are only managed, never delivered to.
const UNUSED_URL = 'http://127.0.0.1:9/hook';

/** The subscriptions API: validation, the write-only secret, tenant scope, the delivery log and the test ping. */
describe('webhooks API', () => {
  let core: TestCore;
  let api: ApiClient;
  let admin: string;
  let communityA: { id: string };
  let communityB: { id: string };
  let customerA: string;
  let customerB: string;

  beforeAll(async () => {
    core = createTestCore({ NOTIFY_RELAY_MS: '3600000', WORKER_QUEUES: 'notifications' });
    api = apiClient(core);
    admin = await issueKey(core, { role: 'superadmin' });
    communityA = await uniqueCommunity(core);
    communityB = await uniqueCommunity(core);
    customerA = await issueKey(core, { role: 'customer', communityId: communityA.id });
    customerB = await issueKey(core, { role: 'customer', communityId: communityB.id });
  });

  afterAll(async () => {
    await core.close();
  });

  const create = (body: Record<string, unknown>, key: string) => api.post('/api/v1/webhooks', body, key);

  describe('validation', () => {
    test.each([
      ['a missing url', { events: ['alert.opened'] }, 'body.url: Invalid input'],
      ['a non-http url', { url: 'ftp://example.com/hook', events: ['alert.opened'] }, 'body.url: must use http or https'],
      ['a relative url', { url: '/hook', events: ['alert.opened'] }, 'body.url: must be an absolute http(s) URL'],
      ['credentials in the url', { url: 'https://user:pw@example.com/hook', events: ['alert.opened'] }, 'body.url: must not contain credentials'],
      ['an unknown event', { url: UNUSED_URL, events: ['alert.exploded'] }, 'body.events.0: Invalid option: expected one of "alert.opened"'],
      ['no events', { url: UNUSED_URL, events: [] }, 'body.events: give at least one event'],
      ['a short secret', { url: UNUSED_URL, events: ['alert.opened'], secret: 'short' }, 'body.secret: must be at least 16 characters'],
      ['an unknown field', { url: UNUSED_URL, events: ['alert.opened'], headers: { x: 1 } }, 'body: Unrecognized key: "headers"'],
      ['both scopes', { url: UNUSED_URL, events: ['alert.opened'], communityId: randomUUID(), distributorId: randomUUID() }, 'body.distributorId: give communityId or distributorId, not both'],
    ])('when the body has %s, then 400 names the field', async (_what, body, field) => {
      const res = await create(body, customerA).expect(400);
      expect(res.body).toMatchObject({ status: 'error', code: 'VALIDATION_FAILED' });
      expect(res.body.message).toContain(field);
    });

    test('when a PATCH changes nothing or the id is not a UUID, then 400', async () => {
      const { body } = await create({ url: UNUSED_URL, events: ['alert.opened'] }, customerA).expect(201);
      expect((await api.patch(`/api/v1/webhooks/${body.data.id}`, {}, customerA).expect(400)).body.message).toContain('give at least one of');
      expect((await api.patch(`/api/v1/webhooks/${body.data.id}`, { url: 'mailto:ops@example.com' }, customerA).expect(400)).body.message).toContain('body.url');
      expect((await api.get('/api/v1/webhooks/not-a-uuid', customerA).expect(400)).body.message).toContain('path.id: must be a UUID');
    });

    test('when NODE_ENV is production, then a plain http URL is refused and https is accepted', async () => {
      const prod = createTestCore({ NODE_ENV: 'production', ENCRYPTION_KEY: 'a'.repeat(64), ADMIN_API_KEY: 'x'.repeat(40) }, 'api');
      try {
        const prodApi = apiClient(prod, await issueKey(prod, { role: 'customer', communityId: communityA.id }));
        const refused = await prodApi.post('/api/v1/webhooks', { url: 'http://receiver.example.com/hook', events: ['alert.opened'] }).expect(400);
        expect(refused.body.message).toBe('Invalid body: body.url: must use https in production');
        const accepted = await prodApi.post('/api/v1/webhooks', { url: 'https://receiver.example.com/hook', events: ['alert.opened'], active: false }).expect(201);
        await prodApi.del(`/api/v1/webhooks/${accepted.body.data.id}`).expect(204);
      } finally {
        await prod.close();
      }
    });
  });

  describe('the secret', () => {
    test('when a subscription is created without a secret, then one is generated, shown once and never again', async () => {
      const res = await create({ url: UNUSED_URL, events: ['alert.opened', 'alert.opened', 'alert.resolved'], description: 'ops pager' }, customerA).expect(201);
      const { secret, ...shown } = res.body.data as Record<string, unknown> & { id: string; secret: string };
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(res.headers.location).toBe(`/api/v1/webhooks/${shown.id}`);
      expect(shown).toMatchObject({ url: UNUSED_URL, events: ['alert.opened', 'alert.resolved'], description: 'ops pager', active: true, communityId: communityA.id, distributorId: null });

      const one = await api.get(`/api/v1/webhooks/${shown.id}`, customerA).expect(200);
      const list = await api.get('/api/v1/webhooks', customerA).expect(200);
      const patched = await api.patch(`/api/v1/webhooks/${shown.id}`, { description: 'renamed' }, customerA).expect(200);
      for (const later of [one.text, list.text, patched.text]) {
        expect(later).not.toContain(secret);
        expect(later).not.toMatch(/secret/i);
      }
      const stored = (await core.db('webhook_subscriptions').where({ id: shown.id }).first('secret_encrypted')) as { secret_encrypted: string };
      expect(stored.secret_encrypted).not.toContain(secret);
      const audit = await auditTrail(core.db, 'webhook', shown.id);
      expect(audit.map((a) => a.action)).toEqual(['webhook.create', 'webhook.update']);
      expect(JSON.stringify(audit)).not.toContain(secret);
      expect(core.logs.text()).not.toContain(secret);
    });

    test('when the secret is rotated with PATCH, then the new one is stored encrypted and not echoed', async () => {
      const { body } = await create({ url: UNUSED_URL, events: ['alert.opened'], secret: 'first-secret-0123456789' }, customerA).expect(201);
      expect(body.data.secret).toBe('first-secret-0123456789');
      const rotated = 'second-secret-0123456789';
      const res = await api.patch(`/api/v1/webhooks/${body.data.id}`, { secret: rotated }, customerA).expect(200);
      expect(res.text).not.toContain(rotated);
      const audit = await auditTrail(core.db, 'webhook', body.data.id);
      expect(audit.at(-1)?.details).toMatchObject({ changed: ['secret'] });
      expect(JSON.stringify(audit)).not.toContain(rotated);
      expect(core.logs.text()).not.toContain(rotated);
    });
  });

  describe('scope', () => {
    test('when a customer of another community asks for a subscription, then it is 404 on every route', async () => {
      const { body } = await create({ url: UNUSED_URL, events: ['alert.opened'] }, customerA).expect(201);
      const id = body.data.id as string;
      for (const res of [
        await api.get(`/api/v1/webhooks/${id}`, customerB),
        await api.patch(`/api/v1/webhooks/${id}`, { active: false }, customerB),
        await api.del(`/api/v1/webhooks/${id}`, customerB),
        await api.get(`/api/v1/webhooks/${id}/deliveries`, customerB),
        await api.post(`/api/v1/webhooks/${id}/test`, {}, customerB),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('WEBHOOK_NOT_FOUND');
      }
      const listB = await api.get('/api/v1/webhooks', customerB).expect(200);
      expect(listB.body.data.map((s: { id: string }) => s.id)).not.toContain(id);
      expect((await api.get(`/api/v1/webhooks/${id}`, customerA).expect(200)).body.data.active).toBe(true);
    });

    test('when a customer names another community or a distributor, then it is 404', async () => {
      expect((await create({ url: UNUSED_URL, events: ['alert.opened'], communityId: communityB.id }, customerA).expect(404)).body.code).toBe('COMMUNITY_NOT_FOUND');
      expect((await create({ url: UNUSED_URL, events: ['alert.opened'], distributorId: randomUUID() }, customerA).expect(404)).body.code).toBe('DISTRIBUTOR_NOT_FOUND');
    });

    test("when a distributor manages subscriptions, then it sees its own and its communities' but not another distributor's or global ones", async () => {
      const d1 = await core.repos.communities.createDistributor(`notify-d1-${randomUUID().slice(0, 8)}`);
      const d2 = await core.repos.communities.createDistributor(`notify-d2-${randomUUID().slice(0, 8)}`);
      if (d1 === 'name_taken' || d2 === 'name_taken') throw new Error('distributor name collision');
      const d1Community = await uniqueCommunity(core, d1.id);
      const d1Key = await issueKey(core, { role: 'distributor', distributorId: d1.id });
      const d2Key = await issueKey(core, { role: 'distributor', distributorId: d2.id });
      const d1Customer = await issueKey(core, { role: 'customer', communityId: d1Community.id });

      const own = (await create({ url: UNUSED_URL, events: ['alert.opened'] }, d1Key).expect(201)).body.data;
      expect(own).toMatchObject({ distributorId: d1.id, communityId: null });
      const ofCommunity = (await create({ url: UNUSED_URL, events: ['alert.opened'] }, d1Customer).expect(201)).body.data;
      const global = (await create({ url: UNUSED_URL, events: ['alert.acknowledged'], active: false }, admin).expect(201)).body.data;
      expect(global).toMatchObject({ distributorId: null, communityId: null });
      try {
        const seen = (await api.get('/api/v1/webhooks?limit=200', d1Key).expect(200)).body.data.map((s: { id: string }) => s.id);
        expect(seen).toEqual(expect.arrayContaining([own.id, ofCommunity.id]));
        expect(seen).not.toContain(global.id);
        await api.get(`/api/v1/webhooks/${own.id}`, d2Key).expect(404);
        await api.get(`/api/v1/webhooks/${ofCommunity.id}`, d2Key).expect(404);
        await api.get(`/api/v1/webhooks/${global.id}`, d1Key).expect(404);
        expect((await create({ url: UNUSED_URL, events: ['alert.opened'], distributorId: d2.id }, d1Key).expect(404)).body.code).toBe('DISTRIBUTOR_NOT_FOUND');
        expect((await create({ url: UNUSED_URL, events: ['alert.opened'], communityId: d1Community.id }, d2Key).expect(404)).body.code).toBe('COMMUNITY_NOT_FOUND');
        // A customer sees its community's subscription, not its distributor's.
        await api.get(`/api/v1/webhooks/${ofCommunity.id}`, d1Customer).expect(200);
        await api.get(`/api/v1/webhooks/${own.id}`, d1Customer).expect(404);
        await api.get(`/api/v1/webhooks/${global.id}`, admin).expect(200);
      } finally {
        await api.del(`/api/v1/webhooks/${global.id}`, admin).expect(204);
      }
    });
  });

  test('when a subscription is updated and deleted, then the changes show and the delete is final', async () => {
    const { body } = await create({ url: UNUSED_URL, events: ['alert.opened'] }, customerA).expect(201);
    const id = body.data.id as string;
    const patched = await api.patch(`/api/v1/webhooks/${id}`, { events: ['alert.resolved'], active: false, description: null }, customerA).expect(200);
    expect(patched.body.data).toMatchObject({ id, events: ['alert.resolved'], active: false, description: null });
    const inactive = await api.get('/api/v1/webhooks?active=false&event=alert.resolved', customerA).expect(200);
    expect(inactive.body.data.map((s: { id: string }) => s.id)).toContain(id);
    expect(inactive.body.page).toMatchObject({ limit: 50, offset: 0 });
    expect((await api.post(`/api/v1/webhooks/${id}/test`, {}, customerA).expect(409)).body.code).toBe('WEBHOOK_INACTIVE');

    await api.del(`/api/v1/webhooks/${id}`, customerA).expect(204);
    await api.get(`/api/v1/webhooks/${id}`, customerA).expect(404);
    await api.del(`/api/v1/webhooks/${id}`, customerA).expect(404);
  });

  describe('test ping', () => {
    let receiver: WebhookReceiver;
    let running: RunningWorkers;
    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      running = await startWorkers(core);
    });
    afterAll(async () => {
      await running.close(true);
      await receiver.close();
    });

    test('when a test is requested, then a signed ping goes through the outbox to the receiver and shows in the delivery log', async () => {
      const { body } = await create({ url: receiver.url, events: ['alert.opened'] }, customerA).expect(201);
      const { id, secret } = body.data as { id: string; secret: string };

      const res = await api.post(`/api/v1/webhooks/${id}/test`, {}, customerA).expect(202);
      const notificationId = res.body.data.notificationId as string;
      await waitFor(async () => (await core.queues.notifications.getJobState(deliverJobId(notificationId))) === 'completed', { what: 'ping delivered' });

      const [ping] = receiver.deliveriesOf(notificationId);
      expect(ping?.headers['x-evara-event']).toBe('ping');
      expect(verifyWebhookSignature(ping!.headers['x-evara-signature'] as string, ping!.body, secret).ok).toBe(true);
      expect(JSON.parse(ping!.body.toString('utf8'))).toMatchObject({ id: notificationId, event: 'ping', data: { subscriptionId: id } });
      const log = await api.get(`/api/v1/webhooks/${id}/deliveries?status=delivered`, customerA).expect(200);
      expect(log.body.data).toEqual([expect.objectContaining({ id: notificationId, event: 'ping', status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null })]);
      expect(log.body.page.total).toBe(1);
      expect((await api.get(`/api/v1/webhooks/${id}/deliveries?status=bogus`, customerA).expect(400)).body.message).toContain('query.status');
    });
  });
});

import { createRuleSchema } from '../../../src/shared/alerts/alert';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, type ApiClient } from '../../helpers/http';
import { subscribe } from '../notifications/notification-fixtures';
import { distributorCommunity, keyFor, ruleBody, UNUSED_URL, webhookBody, windowBody, type TestKey } from './tenant-fixtures';

type Role = 'superadmin' | 'distributor' | 'customer';

/**
 * Who may change or delete an alert rule, a maintenance window or a webhook: a customer key only
 * what it created, a distributor key anything in its communities but a superadmin's, a superadmin
 * key anything. Through the real API on Postgres; every test creates its own rows.
 */
describe('tenant ownership of alert rules, maintenance windows and webhooks', () => {
  let core: TestCore;
  let api: ApiClient;
  let world: { distributorId: string; communityId: string; nodeId: string };
  let keys: Record<Role | 'neighbour', TestKey>;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core);
    world = await distributorCommunity(core);
    keys = {
      superadmin: await keyFor(core, { role: 'superadmin' }, 'Ops'),
      distributor: await keyFor(core, { role: 'distributor', distributorId: world.distributorId }, 'Water Co'),
      customer: await keyFor(core, { role: 'customer', communityId: world.communityId }, 'Resident'),
      // Another customer of the same community: sees the same rows, owns none of the customer's.
      neighbour: await keyFor(core, { role: 'customer', communityId: world.communityId }, 'Neighbour'),
    };
  });

  afterAll(async () => {
    await core.close();
  });

  interface Kind {
    noun: string;
    many: string;
    path: string;
    body: () => object;
    /** A PATCH body; windows cannot be changed, only deleted. */
    change?: Record<string, unknown>;
  }
  const kinds: Kind[] = [
    { noun: 'alert rule', many: 'alert rules', path: '/api/v1/alert-rules', body: () => ruleBody(world.nodeId), change: { enabled: false } },
    { noun: 'maintenance window', many: 'maintenance windows', path: '/api/v1/maintenance-windows', body: () => windowBody({ nodeId: world.nodeId }) },
    { noun: 'webhook', many: 'webhooks', path: '/api/v1/webhooks', body: () => webhookBody(world.communityId), change: { active: false } },
  ];

  /** Creates one as `by`; the answer without the webhook's one-time secret (so it equals a later GET). */
  async function create(kind: Kind, by: TestKey): Promise<Record<string, unknown> & { id: string }> {
    const { secret: _secret, ...data } = (await api.post(kind.path, kind.body(), by.key).expect(201)).body.data;
    return data;
  }

  /** Tries PATCH (when the kind has one) and DELETE as `by`; returns the answers. */
  async function tryChanges(kind: Kind, id: string, by: TestKey) {
    const patched = kind.change ? await api.patch(`${kind.path}/${id}`, kind.change, by.key) : undefined;
    const deleted = await api.del(`${kind.path}/${id}`, by.key);
    return { patched, deleted };
  }

  describe.each(kinds)('$noun', (kind) => {
    test.each(['superadmin', 'distributor', 'customer'] as const)('when a %s key creates one, then createdBy names that key and its role', async (role) => {
      const made = await create(kind, keys[role]);

      expect(made.createdBy).toEqual({ keyId: keys[role].id, userId: null, role });
      expect((await api.get(`${kind.path}/${made.id}`, keys.superadmin.key).expect(200)).body.data.createdBy).toEqual({ keyId: keys[role].id, userId: null, role });
    });

    test.each(['superadmin', 'distributor'] as const)('when a customer key changes or deletes one a %s key created, then 403 says who created it and it is unchanged', async (creator) => {
      const made = await create(kind, keys[creator]);

      const { patched, deleted } = await tryChanges(kind, made.id, keys.customer);

      const message = `This ${kind.noun} was created by a ${creator} key; a customer key may only change ${kind.many} it created`;
      for (const res of [patched, deleted].filter((r) => r !== undefined)) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ status: 'error', code: 'FORBIDDEN', message });
      }
      // Reads stay as they were: the customer still sees it, unchanged.
      expect((await api.get(`${kind.path}/${made.id}`, keys.customer.key).expect(200)).body.data).toEqual(made);
    });

    test('when another customer key of the same community changes or deletes one, then 403 names "another customer key"', async () => {
      const made = await create(kind, keys.customer);

      const { patched, deleted } = await tryChanges(kind, made.id, keys.neighbour);

      for (const res of [patched, deleted].filter((r) => r !== undefined)) {
        expect(res.status).toBe(403);
        expect(res.body.message).toBe(`This ${kind.noun} was created by another customer key; a customer key may only change ${kind.many} it created`);
      }
    });

    test('when a customer key changes and deletes its own, then 200 and 204', async () => {
      const made = await create(kind, keys.customer);

      const { patched, deleted } = await tryChanges(kind, made.id, keys.customer);

      if (patched) expect(patched.status).toBe(200);
      expect(deleted.status).toBe(204);
      await api.get(`${kind.path}/${made.id}`, keys.superadmin.key).expect(404);
    });

    test("when a distributor key changes a superadmin's, then 403; its customer's and its own, then it may", async () => {
      const admins = await create(kind, keys.superadmin);
      const customers = await create(kind, keys.customer);
      const own = await create(kind, keys.distributor);

      const refused = await tryChanges(kind, admins.id, keys.distributor);
      const allowed = [await tryChanges(kind, customers.id, keys.distributor), await tryChanges(kind, own.id, keys.distributor)];

      for (const res of [refused.patched, refused.deleted].filter((r) => r !== undefined)) {
        expect(res.status).toBe(403);
        expect(res.body.message).toBe(`This ${kind.noun} was created by a superadmin key; a distributor key may only change ${kind.many} created by distributor or customer keys`);
      }
      for (const { patched, deleted } of allowed) {
        if (patched) expect(patched.status).toBe(200);
        expect(deleted.status).toBe(204);
      }
    });

    test("when a superadmin key changes a distributor's and a customer's, then it may", async () => {
      const made = [await create(kind, keys.distributor), await create(kind, keys.customer)];

      for (const m of made) {
        const { patched, deleted } = await tryChanges(kind, m.id, keys.superadmin);
        if (patched) expect(patched.status).toBe(200);
        expect(deleted.status).toBe(204);
      }
    });
  });

  describe('rows from before creators were recorded', () => {
    test("when they are read, then createdBy is a superadmin's with no key, and a customer key may not change them but a superadmin key may", async () => {
      const rule = await core.repos.alertRules.create(createRuleSchema.parse(ruleBody(world.nodeId)), world.communityId);
      const window = await core.repos.maintenance.create({ communityId: world.communityId, nodeId: world.nodeId, startsAt: new Date(), endsAt: new Date(Date.now() + 3600_000), reason: 'old' });
      const { subscription } = await subscribe(core, { url: UNUSED_URL, events: ['alert.opened'], communityId: world.communityId });
      const rows = [
        { path: '/api/v1/alert-rules', id: rule.id, noun: 'alert rule' },
        { path: '/api/v1/maintenance-windows', id: window.id, noun: 'maintenance window' },
        { path: '/api/v1/webhooks', id: subscription.id, noun: 'webhook' },
      ];

      for (const row of rows) {
        expect((await api.get(`${row.path}/${row.id}`, keys.customer.key).expect(200)).body.data.createdBy).toEqual({ keyId: null, userId: null, role: 'superadmin' });
        const refused = await api.del(`${row.path}/${row.id}`, keys.customer.key).expect(403);
        expect(refused.body.message).toContain(`This ${row.noun} was created by a superadmin key`);
        await api.del(`${row.path}/${row.id}`, keys.superadmin.key).expect(204);
      }
    });
  });

  test("when a customer key disables a superadmin's rule, then the rule keeps evaluating: it stays enabled", async () => {
    const made = await create(kinds[0]!, keys.superadmin);

    await api.patch(`/api/v1/alert-rules/${made.id}`, { enabled: false }, keys.customer.key).expect(403);

    expect((await api.get(`/api/v1/alert-rules/${made.id}`, keys.superadmin.key).expect(200)).body.data.enabled).toBe(true);
  });
});

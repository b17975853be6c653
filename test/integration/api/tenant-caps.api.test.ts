import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, type ApiClient } from '../../helpers/http';
import { distributorCommunity, keyFor, ruleBody, UNUSED_URL, webhookBody, windowBody, type TestKey } from './tenant-fixtures';

const CAP = 3;

/**
 * Per-community caps on alert rules, maintenance windows (not yet ended) and webhook
 * subscriptions: past one, a create answers 409 TENANT_LIMIT_REACHED naming the cap, the count
 * and the setting; concurrent creates never store more than the cap. Caps of 3 here.
 */
describe('per-tenant caps on alert rules, maintenance windows and webhooks', () => {
  let core: TestCore;
  let api: ApiClient;

  beforeAll(async () => {
    core = createTestCore(
      { TENANT_MAX_ALERT_RULES_PER_COMMUNITY: String(CAP), TENANT_MAX_MAINTENANCE_WINDOWS_PER_COMMUNITY: String(CAP), TENANT_MAX_WEBHOOKS_PER_COMMUNITY: String(CAP) },
      'api',
    );
    api = apiClient(core);
  });

  afterAll(async () => {
    await core.close();
  });

  /** A community of its own for each test, with a customer key. */
  async function tenant(): Promise<{ communityId: string; distributorId: string; nodeId: string; customer: TestKey; distributor: TestKey }> {
    const world = await distributorCommunity(core);
    return {
      ...world,
      customer: await keyFor(core, { role: 'customer', communityId: world.communityId }, 'Resident'),
      distributor: await keyFor(core, { role: 'distributor', distributorId: world.distributorId }, 'Water Co'),
    };
  }

  interface Cap {
    what: string;
    table: string;
    path: string;
    setting: string;
    body: (t: { communityId: string; nodeId: string }) => object;
  }
  const caps: Cap[] = [
    { what: 'alert rules', table: 'alert_rules', path: '/api/v1/alert-rules', setting: 'TENANT_MAX_ALERT_RULES_PER_COMMUNITY', body: (t) => ruleBody(t.nodeId) },
    { what: 'maintenance windows in force or scheduled', table: 'maintenance_windows', path: '/api/v1/maintenance-windows', setting: 'TENANT_MAX_MAINTENANCE_WINDOWS_PER_COMMUNITY', body: (t) => windowBody({ nodeId: t.nodeId }) },
    { what: 'webhook subscriptions', table: 'webhook_subscriptions', path: '/api/v1/webhooks', setting: 'TENANT_MAX_WEBHOOKS_PER_COMMUNITY', body: (t) => webhookBody(t.communityId) },
  ];
  const stored = async (table: string, communityId: string) => Number((await core.db(table).where({ community_id: communityId }).count<{ count: string }[]>('* as count'))[0]?.count);

  describe.each(caps)('$setting', (cap) => {
    test('when the community already has as many as the cap, then one more is refused with 409 naming the cap, the count and the setting; after a delete there is room again', async () => {
      const t = await tenant();
      const ids: string[] = [];
      for (let i = 0; i < CAP; i += 1) ids.push((await api.post(cap.path, cap.body(t), t.customer.key).expect(201)).body.data.id);

      const refused = await api.post(cap.path, cap.body(t), t.customer.key).expect(409);
      await api.del(`${cap.path}/${ids[0]}`, t.customer.key).expect(204);
      const again = await api.post(cap.path, cap.body(t), t.customer.key);

      expect(refused.body).toMatchObject({ status: 'error', code: 'TENANT_LIMIT_REACHED', details: { setting: cap.setting, max: CAP, current: CAP } });
      expect(refused.body.message).toBe(
        `Tenant limit reached: community ${t.communityId} already has ${CAP} ${cap.what}, the most allowed (${cap.setting}=${CAP}); delete one before adding another`,
      );
      expect(again.status).toBe(201);
    });

    test('when many creates race in one community, then exactly the cap is stored and the rest get 409', async () => {
      const t = await tenant();

      const answers = await Promise.all(Array.from({ length: 12 }, () => api.post(cap.path, cap.body(t), t.customer.key)));

      expect(answers.map((a) => a.status).sort()).toEqual([...Array<number>(CAP).fill(201), ...Array<number>(12 - CAP).fill(409)]);
      expect(await stored(cap.table, t.communityId)).toBe(CAP);
    });

    test('when one community is full, then another community is not affected and the cap binds every role', async () => {
      const full = await tenant();
      const other = await tenant();
      for (let i = 0; i < CAP; i += 1) await api.post(cap.path, cap.body(full), full.customer.key).expect(201);

      const byDistributor = await api.post(cap.path, cap.body(full), full.distributor.key);
      const elsewhere = await api.post(cap.path, cap.body(other), other.customer.key);

      expect(byDistributor.status).toBe(409);
      expect(elsewhere.status).toBe(201);
    });
  });

  test('when the windows of a community have ended, then they no longer count against its cap', async () => {
    const t = await tenant();
    const past = { communityId: t.communityId, nodeId: t.nodeId, startsAt: new Date(Date.now() - 7200_000), endsAt: new Date(Date.now() - 3600_000), reason: 'done' };
    for (let i = 0; i < CAP; i += 1) await core.repos.maintenance.create(past);

    const res = await api.post('/api/v1/maintenance-windows', windowBody({ nodeId: t.nodeId }), t.customer.key);

    expect(res.status).toBe(201);
  });

  test('when distributor-wide webhooks race, then they are capped per distributor, apart from its communities\' ones', async () => {
    const t = await tenant();
    for (let i = 0; i < CAP; i += 1) await api.post('/api/v1/webhooks', webhookBody(t.communityId), t.customer.key).expect(201);

    const answers = await Promise.all(Array.from({ length: 8 }, () => api.post('/api/v1/webhooks', { url: UNUSED_URL, events: ['alert.opened'] }, t.distributor.key)));

    expect(answers.filter((a) => a.status === 201)).toHaveLength(CAP);
    const refused = answers.find((a) => a.status === 409);
    expect(refused?.body.message).toContain(`distributor ${t.distributorId} (distributor-wide) already has ${CAP} webhook subscriptions`);
    expect(await core.db('webhook_subscriptions').where({ distributor_id: t.distributorId }).whereNull('community_id').count<{ count: string }[]>('* as count')).toEqual([{ count: String(CAP) }]);
  });
});

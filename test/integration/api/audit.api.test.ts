import { randomUUID } from 'node:crypto';
import { recordAudit, type AuditActor } from '../../../src/shared/audit/audit-log.repository';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, type ApiClient } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import { distributorCommunity, keyFor, ruleBody, webhookBody, type TestKey } from './tenant-fixtures';

type World = Awaited<ReturnType<typeof distributorCommunity>>;

interface AuditRow {
  id: string;
  actor_key_id: string | null;
  actor_user_id: string | null;
  actor_label: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  community_id: string | null;
  details: Record<string, unknown>;
}

/**
 * The audit log: every change made through the API writes exactly one entry in its transaction,
 * and GET /audit lists them filtered, keyset paged and scoped. Real API on Postgres; each test
 * works on its own rows (its own resources, or entries of an actor id made up for it).
 */
describe('audit log', () => {
  let core: TestCore;
  let api: ApiClient;
  let a: World;
  let b: World;
  let keys: Record<'superadmin' | 'distA' | 'distB' | 'customerA', TestKey>;
  /** The highest audit id before this file ran: the secret check reads every entry after it. */
  let startId: number;
  /** Every secret the tests below handled; none may appear in any audit entry. */
  const secrets: string[] = [];

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core);
    startId = Number((await core.db('audit_log').max('id as max').first())?.max ?? 0);
    a = await distributorCommunity(core);
    b = await distributorCommunity(core);
    keys = {
      superadmin: await keyFor(core, { role: 'superadmin' }, 'Audit ops'),
      distA: await keyFor(core, { role: 'distributor', distributorId: a.distributorId }, 'Audit water A'),
      distB: await keyFor(core, { role: 'distributor', distributorId: b.distributorId }, 'Audit water B'),
      customerA: await keyFor(core, { role: 'customer', communityId: a.communityId }, 'Audit resident A'),
    };
    secrets.push(...Object.values(keys).map((k) => k.key));
  });

  afterAll(async () => {
    await core.close();
  });

  const entriesOf = (resourceType: string, resourceId: string): Promise<AuditRow[]> => core.db('audit_log').where({ resource_type: resourceType, resource_id: resourceId }).orderBy('id');

  /** The one entry of `action` on the resource (fails when there are none or several). */
  async function onlyEntry(resourceType: string, resourceId: string, action: string): Promise<AuditRow> {
    const rows = (await entriesOf(resourceType, resourceId)).filter((r) => r.action === action);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }

  describe('what is audited', () => {
    test('when a distributor and a community are created, then each writes one entry: the distributor system-wide, the community its own', async () => {
      const name = `Audit distributor ${randomUUID().slice(0, 8)}`;
      const distributor = (await api.post('/api/v1/distributors', { name }, keys.superadmin.key).expect(201)).body.data;
      const slug = `audit-${randomUUID().slice(0, 8)}`;
      const community = (await api.post('/api/v1/communities', { slug, name: 'Audited' }, keys.distA.key).expect(201)).body.data;

      expect(await onlyEntry('distributor', distributor.id, 'distributor.create')).toMatchObject({
        actor_key_id: keys.superadmin.id,
        actor_label: expect.stringContaining('Audit ops'),
        community_id: null,
        details: { name },
      });
      expect(await onlyEntry('community', community.id, 'community.create')).toMatchObject({
        actor_key_id: keys.distA.id,
        community_id: community.id,
        details: { slug, name: 'Audited', distributorId: a.distributorId },
      });
      expect(await entriesOf('community', community.id)).toHaveLength(1);
    });

    test('when API keys are issued and one is revoked twice, then one entry each, in the key\'s community, naming the key by label and prefix', async () => {
      const customer = (await api.post('/api/v1/api-keys', { label: 'Audited resident', role: 'customer', communityId: a.communityId }, keys.distA.key).expect(201)).body.data;
      const distributor = (await api.post('/api/v1/api-keys', { label: 'Audited water co', role: 'distributor', distributorId: b.distributorId }, keys.superadmin.key).expect(201)).body.data;
      secrets.push(customer.key, distributor.key);

      await api.del(`/api/v1/api-keys/${customer.id}`, keys.distA.key).expect(204);
      await api.del(`/api/v1/api-keys/${customer.id}`, keys.distA.key).expect(204);

      expect(await onlyEntry('api_key', customer.id, 'api_key.issue')).toMatchObject({
        actor_key_id: keys.distA.id,
        community_id: a.communityId,
        details: { label: 'Audited resident', prefix: customer.prefix, role: 'customer', communityId: a.communityId, distributorId: null, expiresAt: null },
      });
      expect(await onlyEntry('api_key', customer.id, 'api_key.revoke')).toMatchObject({ actor_key_id: keys.distA.id, community_id: a.communityId, details: { label: 'Audited resident' } });
      expect(await entriesOf('api_key', customer.id)).toHaveLength(2);
      // A distributor key belongs to no community: its entry is system-wide.
      expect(await onlyEntry('api_key', distributor.id, 'api_key.issue')).toMatchObject({ actor_key_id: keys.superadmin.id, community_id: null, details: { role: 'distributor', distributorId: b.distributorId } });
    });

    test('when a node is created, changed, changed to the same values, given a new read key, put in maintenance and deleted, then one entry per change, never the read key', async () => {
      const nodeKey = `audit-${randomUUID().slice(0, 8)}`;
      const channelId = nextChannelId();
      secrets.push('AUDITREADKEY1', 'AUDITREADKEY2');
      const node = (
        await api
          .post(
            '/api/v1/nodes',
            {
              nodeKey,
              label: 'Audited tank',
              category: 'OHT',
              analyticsType: 'EvaraTank',
              communityId: a.communityId,
              channels: [{ channelId, readKey: 'AUDITREADKEY1', fieldMapping: { field2: 'distance_cm' } }],
            },
            keys.distA.key,
          )
          .expect(201)
      ).body.data;

      await api.patch(`/api/v1/nodes/${node.id}`, { label: 'Audited tank (renamed)', expectedIntervalS: 120 }, keys.distA.key).expect(200);
      await api.patch(`/api/v1/nodes/${node.id}`, { label: 'Audited tank (renamed)' }, keys.distA.key).expect(200);
      await api.patch(`/api/v1/nodes/${node.id}`, { channels: [{ channelId, readKey: 'AUDITREADKEY2' }] }, keys.superadmin.key).expect(200);
      await api.patch(`/api/v1/nodes/${node.id}`, { maintenance: true }, keys.distA.key).expect(200);
      await api.del(`/api/v1/nodes/${node.id}?confirm=${nodeKey}`, keys.distA.key).expect(204);

      const trail = await entriesOf('node', node.id);
      expect(trail.map((e) => [e.action, e.actor_key_id, e.community_id])).toEqual([
        ['node.create', keys.distA.id, a.communityId],
        ['node.update', keys.distA.id, a.communityId],
        ['node.update', keys.superadmin.id, a.communityId],
        ['node.update', keys.distA.id, a.communityId],
        ['node.delete', keys.distA.id, a.communityId],
      ]);
      expect(trail[0]!.details).toEqual({
        nodeKey,
        label: 'Audited tank',
        category: 'OHT',
        analyticsType: 'EvaraTank',
        channels: [{ channelId, fieldMapping: { field2: 'distance_cm' }, active: true, hasReadKey: true }],
      });
      expect(trail[1]!.details).toEqual({ changed: { label: { from: 'Audited tank', to: 'Audited tank (renamed)' }, expectedIntervalS: { from: 900, to: 120 } } });
      expect(trail[2]!.details).toEqual({ channels: { added: [], reactivated: [], deactivated: [], remapped: [], readKeyReplaced: [channelId] } });
      expect(trail[3]!.details).toEqual({ maintenance: true });
    });

    test('when a customer creates, changes, re-sends and deletes an alert rule, then one entry per change with the fields before and after', async () => {
      const rule = (await api.post('/api/v1/alert-rules', ruleBody(a.nodeId), keys.customerA.key).expect(201)).body.data;

      await api.patch(`/api/v1/alert-rules/${rule.id}`, { threshold: 15, severity: 'critical' }, keys.customerA.key).expect(200);
      await api.patch(`/api/v1/alert-rules/${rule.id}`, { threshold: 15 }, keys.customerA.key).expect(200);
      await api.del(`/api/v1/alert-rules/${rule.id}`, keys.customerA.key).expect(204);

      const trail = await entriesOf('alert_rule', rule.id);
      expect(trail.map((e) => [e.action, e.actor_key_id, e.community_id])).toEqual([
        ['alert_rule.create', keys.customerA.id, a.communityId],
        ['alert_rule.update', keys.customerA.id, a.communityId],
        ['alert_rule.delete', keys.customerA.id, a.communityId],
      ]);
      expect(trail[0]!.details).toMatchObject({ name: 'Tank low', nodeId: a.nodeId, metric: 'level_pct', operator: '<', threshold: 20, severity: 'warning', enabled: true });
      expect(trail[1]!.details).toEqual({ name: 'Tank low', changed: { threshold: { from: 20, to: 15 }, severity: { from: 'warning', to: 'critical' } }, alertsResolved: 0 });
      expect(trail[2]!.details).toMatchObject({ name: 'Tank low', threshold: 15, alertsResolved: 0 });
    });

    test('when a webhook is created with its secret, then the entry names its host and events only', async () => {
      const created = (await api.post('/api/v1/webhooks', webhookBody(a.communityId), keys.distA.key).expect(201)).body.data;
      secrets.push(created.secret);

      const entry = await onlyEntry('webhook', created.id, 'webhook.create');
      expect(entry).toMatchObject({ actor_key_id: keys.distA.id, community_id: a.communityId, details: { host: '127.0.0.1:9', events: ['alert.opened'] } });
    });
  });

  describe('GET /audit', () => {
    const list = (query: string, key: string) => api.get(`/api/v1/audit?${query}`, key);
    const actorOfTest = (): AuditActor => ({ keyId: randomUUID(), label: 'seeded actor' });
    const T0 = Date.parse('2026-06-01T00:00:00Z');

    /** `count` entries by one made-up actor in `communityId`, a minute apart from T0; their ids, newest first. */
    async function seed(actor: AuditActor, communityId: string | null, count: number, actions = ['node.create', 'node.update', 'api_key.issue', 'apixkey.issue']): Promise<number[]> {
      for (let i = 0; i < count; i++) {
        await recordAudit(core.db, { actor, action: actions[i % actions.length]!, resourceType: 'node', resourceId: `seeded-${i}`, communityId, at: new Date(T0 + i * 60_000) });
      }
      const ids: string[] = await core.db('audit_log').where({ actor_key_id: actor.keyId }).orderBy('id', 'desc').pluck('id');
      return ids.map(Number);
    }

    test('when every page is walked, then each entry comes once, newest first, with no gap, and the last page has no cursor', async () => {
      const actor = actorOfTest();
      const seeded = await seed(actor, a.communityId, 23);

      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: { data: Array<{ id: number }>; page: { limit: number; nextCursor: string | null } } } = await list(`actor=${actor.keyId}&limit=5${cursor ? `&cursor=${cursor}` : ''}`, keys.superadmin.key).expect(200);
        seen.push(...res.body.data.map((e) => e.id));
        cursor = res.body.page.nextCursor;
        expect(res.body.page.limit).toBe(5);
        pages += 1;
      } while (cursor && pages < 10);

      expect(pages).toBe(5);
      expect(seen).toEqual(seeded);
      expect(new Set(seen).size).toBe(23);
    });

    test('when filtered by action, prefix, resource, community and time, then only the matching entries come back', async () => {
      const actor = actorOfTest();
      await seed(actor, a.communityId, 12);
      const actions = async (query: string) => (await list(`actor=${actor.keyId}&${query}`, keys.superadmin.key).expect(200)).body.data.map((e: { action: string }) => e.action);
      const resources = async (query: string) => (await list(`actor=${actor.keyId}&${query}`, keys.superadmin.key).expect(200)).body.data.map((e: { resourceId: string }) => e.resourceId);

      expect(await actions('action=node.update')).toEqual(['node.update', 'node.update', 'node.update']);
      expect((await actions('action=node.*')).sort()).toEqual([...Array(3).fill('node.create'), ...Array(3).fill('node.update')].sort());
      // "_" in a prefix is a literal underscore, not LIKE's any-character.
      expect(await actions('action=api_key.*')).toEqual(['api_key.issue', 'api_key.issue', 'api_key.issue']);
      expect(await resources('resourceType=node&resourceId=seeded-4')).toEqual(['seeded-4']);
      expect(await resources('resourceType=alert')).toEqual([]);
      expect(await resources(`communityId=${b.communityId}`)).toEqual([]);
      expect(await resources(`communityId=${a.communityId}&limit=2`)).toEqual(['seeded-11', 'seeded-10']);
      const from = new Date(T0 + 3 * 60_000).toISOString();
      const to = new Date(T0 + 6 * 60_000).toISOString();
      expect(await resources(`from=${from}&to=${to}`)).toEqual(['seeded-5', 'seeded-4', 'seeded-3']);
    });

    test('when the actor is a signed-in user, then filtering by the user id finds its entries', async () => {
      const userId = randomUUID();
      await recordAudit(core.db, { actor: { keyId: null, userId, label: 'user someone@example.test' }, action: 'alert.acknowledge', resourceType: 'alert', resourceId: randomUUID(), communityId: a.communityId });

      const res = await list(`actor=${userId}`, keys.distA.key).expect(200);

      expect(res.body.data).toEqual([expect.objectContaining({ actorKeyId: null, actorUserId: userId, action: 'alert.acknowledge', communityId: a.communityId })]);
    });

    test('when two distributors read, then each sees its own communities\' entries only; system-wide ones are for superadmins; customers get 403', async () => {
      const actor = actorOfTest();
      await seed(actor, a.communityId, 1, ['node.create']);
      await seed(actor, b.communityId, 1, ['node.update']);
      await seed(actor, null, 1, ['distributor.create']);
      const seen = async (key: string, query = '') => (await list(`actor=${actor.keyId}${query}`, key).expect(200)).body.data.map((e: { action: string; communityId: string | null }) => [e.action, e.communityId]);

      expect(await seen(keys.distA.key)).toEqual([['node.create', a.communityId]]);
      expect(await seen(keys.distB.key)).toEqual([['node.update', b.communityId]]);
      expect(await seen(keys.distA.key, `&communityId=${b.communityId}`)).toEqual([]);
      expect(await seen(keys.superadmin.key)).toEqual([
        ['distributor.create', null],
        ['node.update', b.communityId],
        ['node.create', a.communityId],
      ]);
      // A distributor with no community yet sees nothing, not the system-wide entries.
      const empty = await core.repos.communities.createDistributor(`Audit empty ${randomUUID().slice(0, 8)}`);
      if (empty === 'name_taken') throw new Error('distributor name collision in a test');
      const emptyKey = await keyFor(core, { role: 'distributor', distributorId: empty.id }, 'Audit empty');
      expect(await seen(emptyKey.key)).toEqual([]);
      const customer = await list(`actor=${actor.keyId}`, keys.customerA.key).expect(403);
      expect(customer.body.message).toMatch(/superadmin, distributor/);
    });

    test('when a filter is malformed, then 400 names it', async () => {
      const cases: Array<[string, RegExp]> = [
        ['actor=someone', /query\.actor: must be an API key id or a user id/],
        ['action=Node.Create', /query\.action: must be an action such as "node\.create"/],
        ['action=node.', /query\.action/],
        ['action=node.*.update', /query\.action/],
        ['resourceType=Node', /query\.resourceType/],
        ['resourceId=abc', /query\.resourceId: needs resourceType/],
        ['communityId=nope', /query\.communityId/],
        ['from=yesterday', /query\.from: must be an ISO 8601 date-time/],
        ['from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z', /query\.from: must be earlier than query\.to/],
        ['cursor=not-a-cursor', /query\.cursor: is not a cursor this API returned/],
        [`cursor=${Buffer.from(JSON.stringify({ before: -4 })).toString('base64url')}`, /query\.cursor/],
        ['limit=0', /query\.limit/],
        ['limit=201', /query\.limit/],
        ['who=me', /who/],
      ];
      for (const [query, pattern] of cases) {
        const res = await list(query, keys.superadmin.key);
        expect([query, res.status, res.body.message]).toEqual([query, 400, expect.stringMatching(pattern)]);
      }
    });
  });

  // Last: reads every entry the tests above wrote.
  test('when every entry this file wrote is read, then none holds an API key, a read key or a webhook secret', async () => {
    const rows: AuditRow[] = await core.db('audit_log').where('id', '>', startId);
    const text = JSON.stringify(rows);

    expect(rows.length).toBeGreaterThan(15);
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    for (const secret of secrets) expect(text.includes(secret) ? secret : 'absent').toBe('absent');
  });
});

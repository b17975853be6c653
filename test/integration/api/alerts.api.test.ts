import { randomUUID } from 'node:crypto';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import type { OpenAlertInput } from '../../../src/shared/alerts/alerts.repository';

describe('API /api/v1 alert rules, alerts and maintenance windows', () => {
  let core: TestCore;
  let admin: ApiClient;
  let communityA: string;
  let communityB: string;
  let customerA: string;
  let customerB: string;
  let nodeA: { id: string; label: string };
  let nodeB: { id: string };

  const ruleBody = (overrides: Record<string, unknown> = {}) => ({
    nodeId: nodeA.id,
    name: 'Tank low',
    metric: 'level_pct',
    operator: '<',
    threshold: 20,
    clearThreshold: 25,
    forSeconds: 300,
    severity: 'warning',
    cooldownSeconds: 900,
    ...overrides,
  });

  async function count(table: string): Promise<number> {
    const [row] = await core.db(table).count<Array<{ count: string }>>('* as count');
    return Number(row?.count);
  }

  async function openAlert(nodeId: string, communityId: string, overrides: Partial<OpenAlertInput> = {}) {
    const alert = await core.repos.alerts.open(core.db, {
      nodeId,
      communityId,
      ruleId: null,
      conditionKey: `test:${randomUUID()}`,
      kind: 'threshold',
      severity: 'critical',
      title: 'Tank low',
      message: 'level is 5',
      metric: 'level_pct',
      value: 5,
      threshold: 20,
      triggeredAt: new Date(),
      catchUp: false,
      ...overrides,
    });
    return alert!;
  }

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    admin = apiClient(core, await issueKey(core, { role: 'superadmin' }));
    const suffix = randomUUID().slice(0, 6);
    communityA = (await admin.post('/api/v1/communities', { slug: `al-a-${suffix}`, name: 'A' }).expect(201)).body.data.id;
    communityB = (await admin.post('/api/v1/communities', { slug: `al-b-${suffix}`, name: 'B' }).expect(201)).body.data.id;
    customerA = await issueKey(core, { role: 'customer', communityId: communityA }, 'Resident A');
    customerB = await issueKey(core, { role: 'customer', communityId: communityB }, 'Resident B');
    const node = (communityId: string) => ({
      nodeKey: `al-${randomUUID().slice(0, 8)}`,
      label: 'Bakul OHT',
      category: 'OHT',
      analyticsType: 'EvaraTank',
      communityId,
      config: { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } },
      channels: [{ channelId: nextChannelId(), fieldMapping: { field1: 'temperature', field2: 'distance_cm' } }],
    });
    nodeA = (await admin.post('/api/v1/nodes', node(communityA)).expect(201)).body.data;
    nodeB = (await admin.post('/api/v1/nodes', node(communityB)).expect(201)).body.data;
  });

  afterAll(async () => {
    await core.close();
  });

  describe('alert rules', () => {
    test('when a customer creates a rule on its node, then 201 with the rule; it is listed and can be read, changed and deleted', async () => {
      const created = await admin.post('/api/v1/alert-rules', ruleBody(), customerA).expect(201);
      expect(created.body.data).toMatchObject({ nodeId: nodeA.id, communityId: communityA, metric: 'level_pct', operator: '<', threshold: 20, clearThreshold: 25, forSeconds: 300, severity: 'warning', cooldownSeconds: 900, enabled: true });
      const id = created.body.data.id as string;
      const list = await admin.get(`/api/v1/alert-rules?nodeId=${nodeA.id}`, customerA).expect(200);
      expect(list.body.data.map((r: { id: string }) => r.id)).toContain(id);
      await admin.get(`/api/v1/alert-rules/${id}`, customerA).expect(200);
      const patched = await admin.patch(`/api/v1/alert-rules/${id}`, { threshold: 15, enabled: false }, customerA).expect(200);
      expect(patched.body.data).toMatchObject({ threshold: 15, clearThreshold: 25, enabled: false });
      await admin.del(`/api/v1/alert-rules/${id}`, customerA).expect(204);
      await admin.get(`/api/v1/alert-rules/${id}`, customerA).expect(404);
    });

    test('when a node reads two channels, then a raw field name is refused as ambiguous and the aliases are offered', async () => {
      const twoChannels = (
        await admin
          .post('/api/v1/nodes', {
            nodeKey: `al2-${randomUUID().slice(0, 8)}`,
            label: 'Pump house',
            category: 'PumpHouse',
            analyticsType: 'EvaraFlow',
            communityId: communityA,
            channels: [
              { channelId: nextChannelId(), fieldMapping: { field1: 'flow_rate' } },
              { channelId: nextChannelId(), fieldMapping: { field1: 'pump_temperature' } },
            ],
          })
          .expect(201)
      ).body.data;
      const res = await admin.post('/api/v1/alert-rules', ruleBody({ nodeId: twoChannels.id, metric: 'field1', operator: '>', threshold: 70, clearThreshold: undefined })).expect(400);
      expect(res.body.message).toMatch(/"field1" is not reported by this node; available: flow_rate, pump_temperature$/);
      await admin.post('/api/v1/alert-rules', ruleBody({ nodeId: twoChannels.id, metric: 'pump_temperature', operator: '>', threshold: 70, clearThreshold: undefined })).expect(201);
    });

    test('when a category rule is created, then it applies to the community and category given', async () => {
      const res = await admin.post('/api/v1/alert-rules', ruleBody({ nodeId: undefined, category: 'Sump', communityId: communityA, metric: 'distance_cm', operator: '>', threshold: 150, clearThreshold: 140 })).expect(201);
      expect(res.body.data).toMatchObject({ nodeId: null, category: 'Sump', communityId: communityA });
    });

    test.each([
      ['a clear threshold on the wrong side', () => ruleBody({ clearThreshold: 15 }), /clearThreshold.*must not be below threshold/],
      ['a metric the node does not report', () => ruleBody({ metric: 'pressure' }), /body\.metric.*"pressure" is not reported.*available: .*distance_cm.*level_pct/],
      ['both a node and a category', () => ruleBody({ category: 'OHT' }), /either nodeId, or category/],
      ['neither a node nor a category', () => ruleBody({ nodeId: undefined }), /give nodeId for a node rule, or category/],
      ['an unknown operator', () => ruleBody({ operator: '=>' }), /body\.operator/],
      ['an unknown severity', () => ruleBody({ severity: 'urgent' }), /body\.severity/],
      ['a negative duration', () => ruleBody({ forSeconds: -5 }), /body\.forSeconds/],
      ['a threshold that is not a number', () => ruleBody({ threshold: 'high' }), /body\.threshold/],
      ['a clear threshold with ==', () => ruleBody({ operator: '==', clearThreshold: 3 }), /clearThreshold is not allowed with ==/],
      ['an unknown field', () => ruleBody({ colour: 'red' }), /colour/],
      ['a category rule without a community (superadmin)', () => ruleBody({ nodeId: undefined, category: 'OHT' }), /communityId: is required for a category rule/],
    ])('when the rule has %s, then 400 says so and nothing is written', async (_name, body, message) => {
      const before = await count('alert_rules');
      const res = await admin.post('/api/v1/alert-rules', body()).expect(400);
      expect(res.body).toMatchObject({ status: 'error', code: 'VALIDATION_FAILED' });
      expect(res.body.message).toMatch(message);
      expect(await count('alert_rules')).toBe(before);
    });

    test('when a change would contradict the clear threshold, then 400 and the rule is unchanged', async () => {
      const id = (await admin.post('/api/v1/alert-rules', ruleBody()).expect(201)).body.data.id;
      const res = await admin.patch(`/api/v1/alert-rules/${id}`, { threshold: 30 }).expect(400);
      expect(res.body.message).toMatch(/clearThreshold.*must not be below threshold/);
      expect((await admin.get(`/api/v1/alert-rules/${id}`).expect(200)).body.data.threshold).toBe(20);
    });

    test("when a customer touches another community's node or rule, then 404", async () => {
      await admin.post('/api/v1/alert-rules', ruleBody({ nodeId: nodeB.id }), customerA).expect(404);
      const ruleB = (await admin.post('/api/v1/alert-rules', ruleBody({ nodeId: nodeB.id })).expect(201)).body.data.id;
      await admin.get(`/api/v1/alert-rules/${ruleB}`, customerA).expect(404);
      await admin.patch(`/api/v1/alert-rules/${ruleB}`, { enabled: false }, customerA).expect(404);
      await admin.del(`/api/v1/alert-rules/${ruleB}`, customerA).expect(404);
      const list = await admin.get('/api/v1/alert-rules?limit=200', customerA).expect(200);
      expect(list.body.data.every((r: { communityId: string }) => r.communityId === communityA)).toBe(true);
    });
  });

  describe('alerts', () => {
    test('when alerts are listed with filters, then only matching alerts in scope come back, newest first, with a working cursor', async () => {
      const critical = await openAlert(nodeA.id, communityA, { severity: 'critical', triggeredAt: new Date(Date.now() - 3000) });
      const warning = await openAlert(nodeA.id, communityA, { severity: 'warning', triggeredAt: new Date(Date.now() - 2000) });
      const info = await openAlert(nodeA.id, communityA, { severity: 'info', triggeredAt: new Date(Date.now() - 1000) });
      const other = await openAlert(nodeB.id, communityB);

      const mine = await admin.get(`/api/v1/alerts?nodeId=${nodeA.id}&status=open&limit=2`, customerA).expect(200);
      expect(mine.body.data.map((a: { id: string }) => a.id)).toEqual([info.id, warning.id]);
      // Each item names its node, so a list can show it without looking the node up.
      expect(mine.body.data.map((a: { nodeLabel: string }) => a.nodeLabel)).toEqual([nodeA.label, nodeA.label]);
      const next = await admin.get(`/api/v1/alerts?nodeId=${nodeA.id}&status=open&limit=2&cursor=${mine.body.page.nextCursor}`, customerA).expect(200);
      expect(next.body.data.map((a: { id: string }) => a.id)).toContain(critical.id);

      const criticalOnly = await admin.get('/api/v1/alerts?severity=critical&limit=200', customerA).expect(200);
      expect(criticalOnly.body.data.every((a: { severity: string; communityId: string }) => a.severity === 'critical' && a.communityId === communityA)).toBe(true);
      expect(criticalOnly.body.data.map((a: { id: string }) => a.id)).not.toContain(other.id);
      await admin.get(`/api/v1/alerts/${other.id}`, customerA).expect(404);
    });

    test('when the summary is asked for, then unresolved alerts are counted by severity and status within scope', async () => {
      const res = await admin.get(`/api/v1/alerts/summary?nodeId=${nodeB.id}`, customerB).expect(200);
      const unresolved = await core.db('alerts').where({ node_id: nodeB.id }).whereNot('status', 'resolved');
      expect(res.body.data.unresolved).toBe(unresolved.length);
      expect(res.body.data.bySeverity.critical).toBe(unresolved.filter((a) => a.severity === 'critical').length);
      expect((await admin.get(`/api/v1/alerts/summary?nodeId=${nodeB.id}`, customerA).expect(200)).body.data.unresolved).toBe(0);
    });

    test('when an alert is acknowledged and then resolved with a comment, then each step is recorded in the audit log with who did it', async () => {
      const alert = await openAlert(nodeA.id, communityA);
      const ack = await admin.post(`/api/v1/alerts/${alert.id}/acknowledge`, { comment: 'on my way' }, customerA).expect(200);
      expect(ack.body.data).toMatchObject({ status: 'acknowledged', acknowledgedBy: expect.stringContaining('Resident A') });
      const again = await admin.post(`/api/v1/alerts/${alert.id}/acknowledge`, {}, customerA).expect(409);
      expect(again.body.message).toMatch(/already acknowledged/);

      const noComment = await admin.post(`/api/v1/alerts/${alert.id}/resolve`, {}, customerA).expect(400);
      expect(noComment.body.message).toMatch(/body\.comment/);
      const resolved = await admin.post(`/api/v1/alerts/${alert.id}/resolve`, { comment: 'valve fixed' }, customerA).expect(200);
      expect(resolved.body.data).toMatchObject({ status: 'resolved', resolveComment: 'valve fixed', resolvedBy: expect.stringContaining('Resident A') });
      await admin.post(`/api/v1/alerts/${alert.id}/resolve`, { comment: 'twice' }, customerA).expect(409);

      const full = await admin.get(`/api/v1/alerts/${alert.id}`, customerA).expect(200);
      expect(full.body.data.audit.map((e: { action: string }) => e.action)).toEqual(['alert.acknowledge', 'alert.resolve']);
      expect(full.body.data.audit[1]).toMatchObject({ actorLabel: expect.stringContaining('Resident A'), details: { comment: 'valve fixed' } });
    });

    test("when a customer acknowledges another community's alert, then 404 and nothing changes", async () => {
      const alert = await openAlert(nodeB.id, communityB);
      await admin.post(`/api/v1/alerts/${alert.id}/acknowledge`, {}, customerA).expect(404);
      expect((await core.db('alerts').where({ id: alert.id }).first()).status).toBe('open');
      expect(await core.db('audit_log').where({ resource_id: alert.id })).toHaveLength(0);
    });

    test('when filters are malformed, then 400 names them', async () => {
      expect((await admin.get('/api/v1/alerts?status=closed').expect(400)).body.message).toMatch(/query\.status/);
      expect((await admin.get('/api/v1/alerts?from=yesterday').expect(400)).body.message).toMatch(/query\.from/);
      expect((await admin.get('/api/v1/alerts?cursor=nonsense').expect(400)).body.message).toMatch(/query\.cursor/);
      expect((await admin.get('/api/v1/alerts/not-a-uuid').expect(400)).body.message).toMatch(/UUID/);
    });
  });

  describe('maintenance windows', () => {
    test('when windows are created, listed and deleted, then each change is audited', async () => {
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      const endsAt = new Date(Date.now() + 3600_000).toISOString();
      const created = await admin.post('/api/v1/maintenance-windows', { nodeId: nodeA.id, startsAt, endsAt, reason: 'cleaning' }, customerA).expect(201);
      const id = created.body.data.id as string;
      const active = await admin.get('/api/v1/maintenance-windows?active=true', customerA).expect(200);
      expect(active.body.data.map((w: { id: string }) => w.id)).toContain(id);
      expect((await admin.get('/api/v1/maintenance-windows', customerB).expect(200)).body.data.map((w: { id: string }) => w.id)).not.toContain(id);
      await admin.del(`/api/v1/maintenance-windows/${id}`, customerB).expect(404);
      await admin.del(`/api/v1/maintenance-windows/${id}`, customerA).expect(204);
      const audit = await core.db('audit_log').where({ resource_id: id }).orderBy('id').pluck('action');
      expect(audit).toEqual(['maintenance.create', 'maintenance.delete']);
    });

    test.each([
      ['an end before the start', { startsAt: '2026-12-02T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' }, /endsAt: must be later than startsAt/],
      ['a time that is not ISO 8601', { startsAt: 'tomorrow', endsAt: '2026-12-01T00:00:00Z' }, /startsAt: must be an ISO 8601/],
      ['no reason', { reason: '' }, /body\.reason/],
      ['both a node and a community', { communityId: '00000000-0000-4000-8000-000000000000' }, /nodeId.*not both/],
    ])('when a window has %s, then 400 and nothing is written', async (_name, override, message) => {
      const before = await count('maintenance_windows');
      const body = { nodeId: nodeA.id, startsAt: '2026-12-01T00:00:00Z', endsAt: '2026-12-02T00:00:00Z', reason: 'work', ...override };
      const res = await admin.post('/api/v1/maintenance-windows', body).expect(400);
      expect(res.body.message).toMatch(message);
      expect(await count('maintenance_windows')).toBe(before);
    });
  });
});

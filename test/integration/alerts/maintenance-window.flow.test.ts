import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { randomUUID } from 'node:crypto';
import type { NodeView } from '../../../src/shared/nodes/node';
import { buildNodeInput, createNode } from '../../helpers/factories';
import { apiClient, issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { addSubscription, retireSubscriptions, alertsOf, insertReadings, levelToDistance, notificationsOf } from '../../helpers/alerts';

const MINUTE = 60_000;

describe('alerts: maintenance windows', () => {
  let core: TestCore;
  let workers: RunningWorkers;

  beforeAll(async () => {
    core = createTestCore({ WORKER_QUEUES: 'alerts', ALERT_SWEEP_MS: '0', ALERT_CATCHUP_AGE_MS: String(24 * 3600_000) });
    workers = await startWorkers(core);
  });

  afterAll(async () => {
    await retireSubscriptions(core);
    await workers.close();
    await core.close();
  });

  async function evaluate(nodeId: string, nodeChannelId: string, range: { from: number; to: number }): Promise<void> {
    const job = await core.queues.alerts.add('evaluate-node', { nodeId, nodeChannelId, epoch: 0, fromEntryId: range.from, toEntryId: range.to }, { jobId: `eval-${nodeChannelId}-${range.to}` });
    await waitFor(async () => (await core.queues.alerts.getJobState(job.id!)) === 'completed', { what: 'evaluation completed' });
  }

  test('when a rule breaches inside a window created through the API, then nothing opens or notifies; a breach that goes on past the window opens at its end', async () => {
    const { node, channel } = await createNode(core, { expectedIntervalS: 60 });
    const key = await issueKey(core, { role: 'customer', communityId: node.communityId });
    const api = apiClient(core, key);
    const start = Math.floor((Date.now() - 2 * 3600_000) / 1000) * 1000;
    const windowStart = start + 10 * MINUTE;
    const windowEnd = start + 40 * MINUTE;
    const created = await api.post('/api/v1/maintenance-windows', { nodeId: node.id, startsAt: new Date(windowStart).toISOString(), endsAt: new Date(windowEnd).toISOString(), reason: 'tank cleaning' });
    expect(created.status).toBe(201);
    const rule = await api.post('/api/v1/alert-rules', { nodeId: node.id, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, forSeconds: 120, severity: 'critical' });
    expect(rule.status).toBe(201);
    const sub = await addSubscription(core, { events: ['alert.opened', 'alert.resolved'] });

    // Empty tank from +15 to +35 min: all inside the window.
    const inside = Array.from({ length: 21 }, (_, i) => ({ at: start + (15 + i) * MINUTE, fields: { field2: levelToDistance(3) } }));
    let range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, inside);
    await evaluate(node.id, channel.id, range);
    expect(await alertsOf(core, node.id)).toHaveLength(0);
    expect(await notificationsOf(core, sub.id, node.id)).toHaveLength(0);

    // Still empty from +36 to +45: the breach has lasted far longer than 2 minutes, so it opens at the window's end.
    const after = Array.from({ length: 10 }, (_, i) => ({ at: start + (36 + i) * MINUTE, fields: { field2: levelToDistance(3) } }));
    range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, after, range.to + 1);
    await evaluate(node.id, channel.id, range);
    const alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(new Date(alerts[0]!.triggered_at).getTime()).toBe(start + 40 * MINUTE);
    expect((await notificationsOf(core, sub.id, node.id)).map((n) => n.event)).toEqual(['alert.opened']);

    // The audit log recorded who created the window.
    const audit = await core.db('audit_log').where({ resource_type: 'maintenance_window', resource_id: created.body.data.id });
    expect(audit).toEqual([expect.objectContaining({ action: 'maintenance.create', actor_key_id: expect.any(String) })]);
  });

  test('when a window is for the whole community, then it suppresses alerts of every node in it', async () => {
    // A community of its own, so the window touches no other test's nodes.
    const [community] = (await core.db('communities').insert({ slug: `mw-${randomUUID().slice(0, 8)}`, name: 'Maintenance test' }).returning('id')) as Array<{ id: string }>;
    const node = (await core.repos.nodes.create(buildNodeInput({ expectedIntervalS: 60 }), community!.id)) as NodeView;
    const channel = node.channels[0]!;
    const now = Date.now();
    await core.repos.maintenance.create({ communityId: node.communityId, nodeId: null, startsAt: new Date(now - 3600_000), endsAt: new Date(now + 3600_000), reason: 'network work', createdByLabel: 'test' });
    await core.repos.alertRules.create({ nodeId: node.id, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, forSeconds: 0, severity: 'critical', cooldownSeconds: 0, enabled: true }, node.communityId);
    const range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: now - 60_000, fields: { field2: levelToDistance(3) } }]);
    await evaluate(node.id, channel.id, range);
    expect(await alertsOf(core, node.id)).toHaveLength(0);
  });
});

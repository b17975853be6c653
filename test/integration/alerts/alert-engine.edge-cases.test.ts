import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode, nextChannelId } from '../../helpers/factories';
import { apiClient, issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { addSubscription, alertsOf, insertReadings, levelToDistance, notificationsOf, retireSubscriptions } from '../../helpers/alerts';

const MINUTE = 60_000;

describe('alert engine: edge cases', () => {
  let core: TestCore;
  let workers: RunningWorkers;
  let seq = 0;

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
    seq += 1;
    const job = await core.queues.alerts.add('evaluate-node', { nodeId, nodeChannelId, epoch: 0, fromEntryId: range.from, toEntryId: range.to }, { jobId: `edge-${seq}-${nodeChannelId}` });
    await waitFor(async () => (await core.queues.alerts.getJobState(job.id!)) === 'completed', { what: 'evaluation completed' });
  }

  async function lowRule(nodeId: string, communityId: string, extra: Record<string, unknown> = {}) {
    return core.repos.alertRules.create({ nodeId, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, forSeconds: 0, severity: 'critical', cooldownSeconds: 0, enabled: true, ...extra }, communityId);
  }

  test('when a device with a wrong clock writes a reading a year ahead, then it is not evaluated and later real readings still are', async () => {
    const { node, channel } = await createNode(core);
    await lowRule(node.id, node.communityId);
    const now = Date.now();
    let range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: now + 365 * 24 * 3600_000, fields: { field2: levelToDistance(50) } }]);
    await evaluate(node.id, channel.id, range);
    range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: now - MINUTE, fields: { field2: levelToDistance(5) } }], range.to + 1);
    await evaluate(node.id, channel.id, range);
    expect(await alertsOf(core, node.id)).toEqual([expect.objectContaining({ status: 'open' })]);
  });

  test('when a node reads two channels polled at different moments, then the readings of the one polled later are evaluated too', async () => {
    const { node } = await createNode(core, {
      channels: [
        { channelId: nextChannelId(), fieldMapping: { field1: 'temperature', field2: 'distance_cm' }, active: true },
        { channelId: nextChannelId(), fieldMapping: { field1: 'pump_temperature' }, active: true },
      ],
    });
    const [tank, pump] = node.channels;
    await core.repos.alertRules.create({ nodeId: node.id, name: 'Pump hot', metric: 'pump_temperature', operator: '>', threshold: 70, forSeconds: 0, severity: 'warning', cooldownSeconds: 0, enabled: true }, node.communityId);
    const now = Date.now();
    // The tank channel is polled first with newer readings, then the pump channel with older ones.
    await evaluate(node.id, tank!.id, await insertReadings(core, { nodeId: node.id, nodeChannelId: tank!.id }, [{ at: now - MINUTE, fields: { field1: 30, field2: 80 } }]));
    await evaluate(node.id, pump!.id, await insertReadings(core, { nodeId: node.id, nodeChannelId: pump!.id }, [{ at: now - 5 * MINUTE, fields: { field1: 85 } }]));
    expect(await alertsOf(core, node.id)).toEqual([expect.objectContaining({ metric: 'pump_temperature', value: 85 })]);
  });

  test('when a rule is disabled, then its open alert is resolved (nothing would evaluate it again); when its threshold changes, then an open alert still resolves by the new clear condition', async () => {
    const { node, channel } = await createNode(core);
    const api = apiClient(core, await issueKey(core, { role: 'superadmin' }));
    const rule = await lowRule(node.id, node.communityId, { clearThreshold: 25 });
    const now = Date.now();
    let range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: now - 10 * MINUTE, fields: { field2: levelToDistance(5) } }]);
    await evaluate(node.id, channel.id, range);
    expect(await alertsOf(core, node.id)).toHaveLength(1);

    // A changed threshold keeps the open alert "firing": 30 % passes the new clear threshold (28).
    await api.patch(`/api/v1/alert-rules/${rule.id}`, { threshold: 15, clearThreshold: 28 }).expect(200);
    range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: now - 9 * MINUTE, fields: { field2: levelToDistance(30) } }], range.to + 1);
    await evaluate(node.id, channel.id, range);
    expect((await alertsOf(core, node.id))[0]).toMatchObject({ status: 'resolved', resolved_by: 'system' });

    // A new breach, then the rule is disabled: the alert is resolved by the person who disabled it.
    range = await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: now - 8 * MINUTE, fields: { field2: levelToDistance(5) } }], range.to + 1);
    await evaluate(node.id, channel.id, range);
    expect((await alertsOf(core, node.id)).filter((a) => a.status === 'open')).toHaveLength(1);
    await api.patch(`/api/v1/alert-rules/${rule.id}`, { enabled: false }).expect(200);
    const alerts = await alertsOf(core, node.id);
    expect(alerts.every((a) => a.status === 'resolved')).toBe(true);
    expect(alerts[1]).toMatchObject({ resolve_comment: 'rule disabled' });
  });

  test('when a breach recorded just before a window is evaluated inside it, then nothing opens', async () => {
    const { node, channel } = await createNode(core);
    await lowRule(node.id, node.communityId);
    const sub = await addSubscription(core, { events: ['alert.opened'] });
    const now = Date.now();
    await core.repos.maintenance.create({ communityId: node.communityId, nodeId: node.id, startsAt: new Date(now - 30_000), endsAt: new Date(now + 3600_000), reason: 'valve work', createdByLabel: 'test' });
    await evaluate(node.id, channel.id, await insertReadings(core, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: now - 2 * MINUTE, fields: { field2: levelToDistance(5) } }]));
    expect(await alertsOf(core, node.id)).toHaveLength(0);
    expect(await notificationsOf(core, sub.id, node.id)).toHaveLength(0);
  });

  test('when a user tries to resolve an offline alert by hand, then 409 says it resolves itself; acknowledging works', async () => {
    const { node } = await createNode(core);
    const alert = await core.repos.alerts.open(core.db, {
      nodeId: node.id,
      communityId: node.communityId,
      ruleId: null,
      conditionKey: 'offline',
      kind: 'offline',
      severity: 'warning',
      title: 'offline',
      message: 'no data',
      metric: null,
      value: null,
      threshold: null,
      triggeredAt: new Date(),
      catchUp: false,
    });
    const api = apiClient(core, await issueKey(core, { role: 'superadmin' }));
    const res = await api.post(`/api/v1/alerts/${alert!.id}/resolve`, { comment: 'fixed' }).expect(409);
    expect(res.body).toMatchObject({ code: 'ALERT_SELF_RESOLVING', message: expect.stringContaining('resolves itself') });
    await api.post(`/api/v1/alerts/${alert!.id}/acknowledge`, {}).expect(200);
  });
});

import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { waitFor } from '../../helpers/wait-for';
import { addSubscription, retireSubscriptions, alertsOf, insertReadings, levelToDistance, notificationsOf } from '../../helpers/alerts';

/**
 * Two alert workers (separate cores: separate Redis connections and Postgres pools, one queue
 * prefix) evaluating the same node at the same moment.
 */
describe('alerts: concurrent evaluation', () => {
  let a: TestCore;
  let b: TestCore;
  let workersA: RunningWorkers;
  let workersB: RunningWorkers;

  beforeAll(async () => {
    a = createTestCore({ WORKER_QUEUES: 'alerts', ALERT_SWEEP_MS: '0', ALERT_CATCHUP_AGE_MS: String(24 * 3600_000) });
    b = createTestCore({ QUEUE_PREFIX: a.prefix, WORKER_QUEUES: 'alerts', ALERT_SWEEP_MS: '0', ALERT_CATCHUP_AGE_MS: String(24 * 3600_000) });
    workersA = await startWorkers(a);
    workersB = await startWorkers(b);
  });

  afterAll(async () => {
    await retireSubscriptions(a);
    await workersA.close();
    await workersB.close();
    await b.close();
    await a.close();
  });

  test('when two alert workers evaluate the same node at once, many times over, then each node has exactly one open alert and one notification', async () => {
    const start = Date.now() - 3600_000;
    const targets = [];
    for (let n = 0; n < 4; n++) {
      const { node, channel } = await createNode(a, { expectedIntervalS: 60 });
      await a.repos.alertRules.create(
        { nodeId: node.id, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, forSeconds: 0, severity: 'critical', cooldownSeconds: 0, enabled: true },
        node.communityId,
      );
      const range = await insertReadings(a, { nodeId: node.id, nodeChannelId: channel.id }, Array.from({ length: 30 }, (_, i) => ({ at: start + i * 60_000, fields: { field2: levelToDistance(5) } })));
      targets.push({ node, channel, range });
    }
    const sub = await addSubscription(a, { events: ['alert.opened'] });

    const ranBy = { a: 0, b: 0 };
    workersA.workers.get('alerts')!.on('completed', () => (ranBy.a += 1));
    workersB.workers.get('alerts')!.on('completed', () => (ranBy.b += 1));
    // 8 jobs per node with distinct ids, so the queue's id dedup does not hide the race.
    const jobs = await a.queues.alerts.addBulk(
      targets.flatMap(({ node, channel, range }) =>
        Array.from({ length: 8 }, (_, i) => ({
          name: 'evaluate-node',
          data: { nodeId: node.id, nodeChannelId: channel.id, epoch: 0, fromEntryId: range.from, toEntryId: range.to },
          opts: { jobId: `race-${channel.id}-${i}` },
        })),
      ),
    );
    await waitFor(async () => (await Promise.all(jobs.map((j) => a.queues.alerts.getJobState(j.id!)))).every((s) => s === 'completed'), {
      what: 'all racing evaluations completed',
      timeoutMs: 30_000,
    });

    // Both workers took part in the race.
    expect(ranBy.a).toBeGreaterThan(0);
    expect(ranBy.b).toBeGreaterThan(0);
    for (const { node } of targets) {
      const alerts = await alertsOf(a, node.id);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.status).toBe('open');
    }
    expect(await notificationsOf(a, sub.id, targets.map((t) => t.node.id))).toHaveLength(targets.length);
  });

  test('when two connections insert the same unresolved alert at once, then the database keeps one (partial unique index)', async () => {
    const { node } = await createNode(a);
    const input = {
      nodeId: node.id,
      communityId: node.communityId,
      ruleId: null,
      conditionKey: 'offline',
      kind: 'offline' as const,
      severity: 'warning' as const,
      title: 't',
      message: 'm',
      metric: null,
      value: null,
      threshold: null,
      triggeredAt: new Date(),
      catchUp: false,
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).repos.alerts.open((i % 2 ? a : b).db, input)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await alertsOf(a, node.id)).toHaveLength(1);
  });
});

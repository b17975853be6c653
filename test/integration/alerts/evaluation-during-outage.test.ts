import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';
import { alertsOf, insertReadings, levelToDistance } from '../../helpers/alerts';

/** An alerts worker whose database goes away: evaluations wait instead of burning their attempts. */
describe('alerts: evaluation while the database is unreachable', () => {
  const proxy = createTcpProxy({ host: '127.0.0.1', port: Number(new URL(itDatabaseUrl()).port || 5432) });
  let direct: TestCore;
  let worker: TestCore;
  let running: RunningWorkers;

  beforeAll(async () => {
    await proxy.start();
    const viaProxy = new URL(itDatabaseUrl());
    viaProxy.port = String(proxy.port);
    direct = createTestCore({ ALERT_SWEEP_MS: '0' });
    worker = createTestCore({ QUEUE_PREFIX: direct.prefix, DATABASE_URL: viaProxy.toString(), WORKER_QUEUES: 'alerts', ALERT_SWEEP_MS: '0', CIRCUIT_RAMP_MS: '0' });
    running = await startWorkers(worker);
  });

  afterAll(async () => {
    await running.close(true);
    await worker.close();
    await direct.close();
    await proxy.cut();
  });

  test('when the database is cut during an evaluation, then the job is parked (no attempt used) and opens its alert once the database is back', async () => {
    const { node, channel } = await createNode(direct, { expectedIntervalS: 60 });
    await direct.repos.alertRules.create({ nodeId: node.id, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, forSeconds: 0, severity: 'critical', cooldownSeconds: 0, enabled: true }, node.communityId);
    const range = await insertReadings(direct, { nodeId: node.id, nodeChannelId: channel.id }, [{ at: Date.now() - 60_000, fields: { field2: levelToDistance(4) } }]);

    await proxy.cut();
    const job = await direct.queues.alerts.add('evaluate-node', { nodeId: node.id, nodeChannelId: channel.id, epoch: 0, fromEntryId: range.from, toEntryId: range.to }, { jobId: `outage-${channel.id}` });
    await waitFor(async () => (await direct.queues.alerts.getJobState(job.id!)) === 'delayed', { what: 'evaluation parked', timeoutMs: 30_000 });
    expect((await direct.queues.alerts.getJob(job.id!))!.attemptsMade).toBe(0);
    expect(await alertsOf(direct, node.id)).toHaveLength(0);

    await proxy.start();
    await (await direct.queues.alerts.getJob(job.id!))!.promote();
    await waitFor(async () => (await direct.queues.alerts.getJobState(job.id!)) === 'completed', { what: 'evaluation completed after recovery', timeoutMs: 30_000 });
    expect(await alertsOf(direct, node.id)).toEqual([expect.objectContaining({ status: 'open', severity: 'critical' })]);
  });
});

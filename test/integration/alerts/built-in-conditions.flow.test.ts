import { randomUUID } from 'node:crypto';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { waitFor } from '../../helpers/wait-for';
import { addSubscription, retireSubscriptions, alertsOf, notificationsOf, pollAndEvaluate } from '../../helpers/alerts';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

/** Node offline and channel access lost: conditions found by the periodic sweep, not by new readings. */
describe('alerts: built-in conditions (offline, access lost)', () => {
  let sim: Simulator;
  let core: TestCore;
  let workers: RunningWorkers;

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    const { url } = await sim.listen(0);
    core = createTestCore({
      THINGSPEAK_BASE_URL: url,
      POLL_INTERVAL_MS: '3600000',
      WORKER_QUEUES: 'poll,alerts',
      ALERT_SWEEP_MS: '0',
      ALERT_ACCESS_LOST_AFTER: '1',
    });
    workers = await startWorkers(core);
  });

  afterAll(async () => {
    await retireSubscriptions(core);
    await workers.close();
    await core.close();
    await sim.close();
  });

  async function sweep(): Promise<Record<string, number>> {
    const job = await core.queues.alerts.add('sweep-conditions', {}, { jobId: `sweep-${randomUUID()}` });
    await waitFor(async () => (await core.queues.alerts.getJobState(job.id!)) === 'completed', { what: 'sweep completed' });
    return (await core.queues.alerts.getJob(job.id!))!.returnvalue as Record<string, number>;
  }

  test('when a channel keeps its old data but gets nothing new, then the node goes offline with one offline alert, which resolves when data returns', async () => {
    // Expected every second: three seconds without data is offline.
    const { node, channel } = await createNode(core, { expectedIntervalS: 1 });
    const sub = await addSubscription(core, { events: ['alert.opened', 'alert.resolved'] });
    sim.createChannel({ id: channel.channelId });
    sim.appendEntries(channel.channelId, [{ createdAt: new Date(), fields: { field2: '50' } }]);
    await pollAndEvaluate(core, channel.id);
    expect((await core.repos.nodes.get({ role: 'superadmin' }, node.id))!.status).toBe('Online');

    // Polls keep succeeding and find nothing new; once the data is stale a sweep opens the alert.
    await waitFor(
      async () => {
        await pollAndEvaluate(core, channel.id);
        await sweep();
        return (await alertsOf(core, node.id)).length === 1;
      },
      { what: 'offline alert opened', timeoutMs: 20_000, intervalMs: 500 },
    );
    await sweep();
    await sweep();
    const alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'offline', condition_key: 'offline', status: 'open', catch_up: false });
    expect((await core.repos.nodes.get({ role: 'superadmin' }, node.id))!.status).toBe('Offline');

    // Data returns: the evaluation of the new reading resolves it at once.
    sim.appendEntries(channel.channelId, [{ createdAt: new Date(), fields: { field2: '51' } }]);
    await pollAndEvaluate(core, channel.id);
    const after = await alertsOf(core, node.id);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ status: 'resolved', resolved_by: 'system', resolve_comment: 'data returned' });
    expect((await core.repos.nodes.get({ role: 'superadmin' }, node.id))!.status).toBe('Online');
    expect((await notificationsOf(core, sub.id, node.id)).filter((n) => n.alert_id === alerts[0]!.id).map((n) => n.event).sort()).toEqual(['alert.opened', 'alert.resolved']);
  });

  test('when ThingSpeak refuses a channel (-1 / 401), then "channel access lost" opens (not "offline") and resolves after the next successful poll', async () => {
    const { node, channel } = await createNode(core, { expectedIntervalS: 60 });
    sim.createChannel({ id: channel.channelId });
    sim.appendEntries(channel.channelId, [{ createdAt: new Date(Date.now() - 3600_000), fields: { field2: '50' } }]);
    sim.setFault(channel.channelId, { kind: 'json401' });

    await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
    await waitFor(async () => (await core.db('channel_sync_state').where({ node_channel_id: channel.id }).first())?.last_error_code === 'THINGSPEAK_ACCESS_DENIED', { what: 'access failure recorded' });
    await sweep();
    await sweep();
    let alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'access_lost', condition_key: `access_lost:${channel.id}`, status: 'open' });
    expect(alerts[0]!.message).toContain('access denied');

    sim.setFault(channel.channelId, null);
    await waitFor(
      async () => {
        await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
        return (await core.db('channel_sync_state').where({ node_channel_id: channel.id }).first())?.consecutive_failures === 0;
      },
      { what: 'a successful poll', timeoutMs: 20_000, intervalMs: 300 },
    );
    await sweep();
    alerts = await alertsOf(core, node.id);
    // (While the channel could not be read, only the access alert existed, although its data was an
    // hour old: a channel we cannot read is not a silent device.)
    expect(alerts.find((a) => a.kind === 'access_lost')).toMatchObject({ status: 'resolved', resolve_comment: 'channel readable again' });
  });

  test('when a maintenance window covers now, then a node that goes offline raises no alert', async () => {
    const { node, channel } = await createNode(core, { expectedIntervalS: 60 });
    await core.repos.maintenance.create({ communityId: node.communityId, nodeId: node.id, startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() + 3600_000), reason: 'pump replacement', createdByLabel: 'test' });
    sim.createChannel({ id: channel.channelId });
    sim.appendEntries(channel.channelId, [{ createdAt: new Date(Date.now() - 3600_000), fields: { field2: '50' } }]);
    await pollAndEvaluate(core, channel.id);
    const result = await sweep();
    expect((await core.repos.nodes.get({ role: 'superadmin' }, node.id))!.status).toBe('Offline');
    expect(await alertsOf(core, node.id)).toHaveLength(0);
    expect(result.offlineOpened).toBe(0);
  });
});

describe('alerts: the sweep scheduler', () => {
  test('when a worker runs the alerts queue with ALERT_SWEEP_MS set, then a job scheduler runs sweep-conditions at that interval', async () => {
    const core = createTestCore({ WORKER_QUEUES: 'alerts', ALERT_SWEEP_MS: '60000' });
    const workers = await startWorkers(core);
    try {
      const schedulers = await core.queues.alerts.getJobSchedulers();
      expect(schedulers).toEqual([expect.objectContaining({ key: 'sweep-conditions', every: 60000 })]);
      // It fires once at start.
      await waitFor(async () => ((await core.queues.alerts.getJobCounts('completed')).completed ?? 0) >= 1, { what: 'a first sweep completed' });
    } finally {
      await workers.close();
      await core.close();
    }
  });
});

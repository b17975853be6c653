import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { waitFor } from '../../helpers/wait-for';
import { addSubscription, retireSubscriptions, alertsOf, levelToDistance, notificationsOf, pollAndEvaluate } from '../../helpers/alerts';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

const MINUTE = 60_000;
// ThingSpeak (and the simulator) keep whole seconds.
const secondsAgo = (ms: number) => Math.floor((Date.now() - ms) / 1000) * 1000;

/**
 * The alert engine end to end: simulator -> real poll worker -> outbox -> real alerts worker ->
 * alerts and notification rows in Postgres. The tank is 163 cm tall, so level % follows from the
 * distance the simulator reports.
 */
describe('alert engine: threshold rules over polled readings', () => {
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
      // Readings in these tests are up to three hours old; they should page people.
      ALERT_CATCHUP_AGE_MS: String(24 * 3600_000),
    });
    workers = await startWorkers(core);
  });

  afterAll(async () => {
    await retireSubscriptions(core);
    await workers.close();
    await core.close();
    await sim.close();
  });

  async function lowLevelNode(rule: { forSeconds?: number; clearThreshold?: number | null; cooldownSeconds?: number } = {}) {
    const { node, channel } = await createNode(core, { expectedIntervalS: 60 });
    sim.createChannel({ id: channel.channelId });
    const created = await core.repos.alertRules.create(
      {
        nodeId: node.id,
        name: 'Tank low',
        metric: 'level_pct',
        operator: '<',
        threshold: 20,
        clearThreshold: rule.clearThreshold === undefined ? 25 : rule.clearThreshold,
        forSeconds: rule.forSeconds ?? 300,
        severity: 'warning',
        cooldownSeconds: rule.cooldownSeconds ?? 0,
        enabled: true,
      },
      node.communityId,
    );
    return { node, channel, rule: created };
  }

  function levels(channelId: number, start: number, values: number[], stepMs = MINUTE): number {
    sim.appendEntries(
      channelId,
      values.map((level, i) => ({ createdAt: new Date(start + i * stepMs), fields: { field1: '27.5', field2: String(levelToDistance(level)) } })),
    );
    return start + values.length * stepMs;
  }

  test('when a rule is in breach for an hour, then exactly one alert opens; hovering between the thresholds neither resolves it nor opens another; passing the clear threshold resolves it', async () => {
    const { node, channel, rule } = await lowLevelNode();
    const sub = await addSubscription(core, { events: ['alert.opened', 'alert.resolved'] });
    const start = secondsAgo(3 * 3600_000);

    // An hour at 8 %: one alert, opened once the breach has lasted 5 minutes.
    let t = levels(channel.channelId, start, Array.from({ length: 60 }, () => 8));
    await pollAndEvaluate(core, channel.id);
    let alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule_id: rule.id, status: 'open', kind: 'threshold', severity: 'warning', catch_up: false });
    expect(new Date(alerts[0]!.triggered_at).getTime()).toBe(start + 5 * MINUTE);

    // Hovering around 20 % but never above the clear threshold (25 %): still the same open alert.
    t = levels(channel.channelId, t, [19, 21, 24, 19, 22, 24, 18, 23]);
    await pollAndEvaluate(core, channel.id);
    alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.status).toBe('open');

    // 30 % passes the clear threshold: resolved by the system at that reading's time.
    const clearedAt = t;
    t = levels(channel.channelId, t, [30, 31]);
    await pollAndEvaluate(core, channel.id);
    alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ status: 'resolved', resolved_by: 'system', resolved_value: 30 });
    expect(new Date(alerts[0]!.resolved_at!).getTime()).toBe(clearedAt);

    // Hovering again: breaches shorter than 5 minutes, interrupted by 21-24 %, open nothing.
    levels(channel.channelId, t, [19, 21, 18, 22, 19, 24, 19, 21, 19, 23]);
    await pollAndEvaluate(core, channel.id);
    expect(await alertsOf(core, node.id)).toHaveLength(1);

    // One notification per event for the subscription, written with the alert (outbox).
    const notes = await notificationsOf(core, sub.id, node.id);
    expect(notes.map((n) => n.event).sort()).toEqual(['alert.opened', 'alert.resolved']);
    expect(notes.every((n) => n.alert_id === alerts[0]!.id)).toBe(true);
  });

  test('when the same readings are evaluated again (a retried or repeated job), then nothing opens or notifies twice', async () => {
    const { node, channel } = await lowLevelNode({ forSeconds: 0 });
    const sub = await addSubscription(core, { events: ['alert.opened'] });
    levels(channel.channelId, Date.now() - 3600_000, [50, 10, 10]);
    const range = await pollAndEvaluate(core, channel.id);

    // The same evaluation job again, under new ids, twice.
    for (const suffix of ['again-1', 'again-2']) {
      const job = await core.queues.alerts.add('evaluate-node', { nodeId: node.id, nodeChannelId: channel.id, epoch: 0, fromEntryId: range.from, toEntryId: range.to }, { jobId: `${suffix}-${channel.id}` });
      await waitFor(async () => (await core.queues.alerts.getJobState(job.id!)) === 'completed', { what: `repeat evaluation ${suffix}` });
    }
    expect(await alertsOf(core, node.id)).toHaveLength(1);
    expect(await notificationsOf(core, sub.id, node.id)).toHaveLength(1);
  });

  test('when a backfilled batch arrives, then it is evaluated in the order it happened (recorded time, then entry id)', async () => {
    const { node, channel } = await lowLevelNode({ forSeconds: 120, clearThreshold: null });
    const start = secondsAgo(2 * 3600_000);
    // Written out of order: entry ids do not follow time. In time order: 10, 10, 10 (3 minutes) -> opens at +2 min, then 50 resolves.
    sim.appendEntries(channel.channelId, [
      { createdAt: new Date(start + 3 * MINUTE), fields: { field2: String(levelToDistance(50)) } },
      { createdAt: new Date(start + 2 * MINUTE), fields: { field2: String(levelToDistance(10)) } },
      { createdAt: new Date(start), fields: { field2: String(levelToDistance(10)) } },
      { createdAt: new Date(start + MINUTE), fields: { field2: String(levelToDistance(10)) } },
    ]);
    await pollAndEvaluate(core, channel.id);
    const alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(new Date(alerts[0]!.triggered_at).getTime()).toBe(start + 2 * MINUTE);
    expect(new Date(alerts[0]!.resolved_at!).getTime()).toBe(start + 3 * MINUTE);
  });

  test('when a rule has a cooldown, then a second breach within it opens a new alert but notifies neither its opening nor its resolve', async () => {
    const { node, channel } = await lowLevelNode({ forSeconds: 0, clearThreshold: null, cooldownSeconds: 3600 });
    const sub = await addSubscription(core, { events: ['alert.opened', 'alert.resolved'] });
    levels(channel.channelId, secondsAgo(2 * 3600_000), [10, 50, 10, 50], 10 * MINUTE);
    await pollAndEvaluate(core, channel.id);
    const alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(2);
    const notes = await notificationsOf(core, sub.id, node.id);
    expect(notes.map((n) => `${n.event}:${n.alert_id === alerts[0]!.id ? 'first' : 'second'}`)).toEqual(['alert.opened:first', 'alert.resolved:first']);
  });

  test('when the readings are older than the catch-up age, then the alert is recorded as catch-up and pages nobody', async () => {
    const { node, channel } = await lowLevelNode({ forSeconds: 0 });
    const sub = await addSubscription(core, { events: ['alert.opened', 'alert.resolved'] });
    levels(channel.channelId, secondsAgo(30 * 3600_000), [10, 10]);
    await pollAndEvaluate(core, channel.id);
    const alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.catch_up).toBe(true);
    expect(await notificationsOf(core, sub.id, node.id)).toHaveLength(0);
  });

  test('when a field reports NaN or garbage for longer than the data-quality time, then one data-quality alert opens and the first number resolves it', async () => {
    const { node, channel } = await createNode(core, { expectedIntervalS: 60 });
    sim.createChannel({ id: channel.channelId });
    const start = secondsAgo(3600_000);
    // Default ALERT_DATA_QUALITY_MS is 30 minutes: 40 minutes of garbage on field2 (distance_cm).
    sim.appendEntries(channel.channelId, [
      ...Array.from({ length: 41 }, (_, i) => ({ createdAt: new Date(start + i * MINUTE), fields: { field1: '27.1', field2: i % 2 ? 'nan' : 'ERR' } })),
      { createdAt: new Date(start + 41 * MINUTE), fields: { field1: '27.1', field2: '80' } },
    ]);
    await pollAndEvaluate(core, channel.id);
    const alerts = await alertsOf(core, node.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'data_quality', condition_key: 'data_quality:distance_cm', status: 'resolved' });
    expect(new Date(alerts[0]!.triggered_at).getTime()).toBe(start + 30 * MINUTE);
  });
});

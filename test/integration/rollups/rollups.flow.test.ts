import type { Logger } from '../../../src/shared/logger';
import { pollChannel, type PollDeps } from '../../../src/shared/polling/poll-channel';
import { updateRollups } from '../../../src/shared/rollups/update-rollups';
import { insertReadings } from '../../../src/shared/readings/reading-writer';
import { createNode, nextChannelId } from '../../helpers/factories';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { openPollRig, type Simulator } from '../../helpers/poll-rig';
import { bucketOf, recomputedBuckets, storedBuckets } from '../../helpers/rollups';
import type { TestCore } from '../../helpers/test-core';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 10:00 UTC two days ago: every test's entries sit around it, in the past. */
const T0 = new Date(Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 10 * HOUR);
const at = (ms: number) => new Date(T0.getTime() + ms);
const tank = (distanceCm: number, temperature = 25) => ({ field1: String(temperature), field2: String(distanceCm) });

/**
 * Rollups kept by the update-rollups job, fed through the real poll path (simulated ThingSpeak):
 * after every kind of disorder, each hourly and daily bucket equals a recomputation from raw rows.
 */
describe('update-rollups job', () => {
  let rig: Awaited<ReturnType<typeof openPollRig>>;
  let core: TestCore;
  let sim: Simulator;
  let deps: PollDeps;
  let log: Logger;
  let api: ApiClient;

  beforeAll(async () => {
    rig = await openPollRig();
    ({ sim, core, deps } = rig);
    log = core.log;
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }, 'rollups admin'));
  });

  afterAll(async () => {
    await core.db.raw('DROP TRIGGER IF EXISTS rollup_progress_fails ON rollup_progress');
    await rig.close();
  });

  async function tankWithEntries(entries: Array<{ createdAt: Date; fields: Record<string, string> }>) {
    const { node, channel } = await createNode(core);
    sim.createChannel({ id: channel.channelId, createdAt: new Date(T0.getTime() - 30 * DAY) });
    sim.appendEntries(channel.channelId, entries);
    expect(await pollChannel(deps, channel.id, log)).toMatchObject({ outcome: 'polled', inserted: entries.length });
    return { node, channel };
  }

  const run = () => updateRollups({ db: core.db }, log);

  test('when a known sequence is polled in order and the job runs, then every hourly and daily bucket holds its count, min, max, avg, first and last as recomputed from raw rows', async () => {
    const { node } = await tankWithEntries([
      { createdAt: at(0), fields: tank(46, 25) },
      { createdAt: at(20 * 60_000), fields: tank(100, 27) },
      { createdAt: at(70 * 60_000), fields: tank(163, 26) },
      { createdAt: at(DAY), fields: tank(63, 24) },
    ]);

    await run();
    const stored = await storedBuckets(core, node.id);

    expect(stored).toEqual(await recomputedBuckets(core, node.id));
    // 4 metrics (distance_cm, temperature, level_pct, volume_l) x (3 hours + 2 days).
    expect(stored).toHaveLength(20);
    expect(bucketOf(stored, 'distance_cm', '1h', T0)).toMatchObject({ count: 2, min: 46, max: 100, first: 46, last: 100, sum: '146' });
    expect(bucketOf(stored, 'distance_cm', '1d', new Date(T0.getTime() - 10 * HOUR))).toMatchObject({ count: 3, min: 46, max: 163, first: 46, last: 163, sum: '309' });
    // H = 163 cm, d = 46 cm -> 71.8 %; d = 163 -> 0 %; 2 m x 1.5 m x 1.63 m -> 4,890 L full.
    expect(bucketOf(stored, 'level_pct', '1h', T0)).toMatchObject({ count: 2, first: 71.8, max: 71.8 });
    expect(bucketOf(stored, 'level_pct', '1h', at(HOUR))).toMatchObject({ count: 1, min: 0, max: 0 });
    expect(bucketOf(stored, 'volume_l', '1h', T0)).toMatchObject({ first: 3510 });
  });

  test('when the job runs again (a retry of a completed run), then no bucket changes', async () => {
    const { node } = await tankWithEntries([
      { createdAt: at(5 * 60_000), fields: tank(50) },
      { createdAt: at(6 * 60_000), fields: tank(51) },
    ]);
    await run();
    const once = await storedBuckets(core, node.id);

    await run();
    await run();

    expect(once.length).toBeGreaterThan(0);
    expect(await storedBuckets(core, node.id)).toEqual(once);
    expect(bucketOf(once, 'distance_cm', '1h', T0)).toMatchObject({ count: 2, sum: '101' });
  });

  test('when a run fails after folding (before its progress commits) and is retried, then the buckets count every reading once', async () => {
    const { node } = await tankWithEntries([
      { createdAt: at(1_000), fields: tank(40) },
      { createdAt: at(2_000), fields: tank(41) },
      { createdAt: at(HOUR + 3_000), fields: tank(42) },
    ]);
    // The fold statement runs, then saving the progress fails: the whole batch rolls back.
    await core.db.raw(`CREATE OR REPLACE FUNCTION rollup_progress_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure after the fold'; END $$`);
    await core.db.raw('CREATE TRIGGER rollup_progress_fails BEFORE INSERT OR UPDATE ON rollup_progress FOR EACH ROW EXECUTE FUNCTION rollup_progress_fail()');
    await expect(run()).rejects.toThrow(/injected failure after the fold/);
    const afterFailure = await storedBuckets(core, node.id);
    await core.db.raw('DROP TRIGGER rollup_progress_fails ON rollup_progress');

    await run();
    const stored = await storedBuckets(core, node.id);

    expect(afterFailure).toEqual([]);
    expect(stored).toEqual(await recomputedBuckets(core, node.id));
    expect(bucketOf(stored, 'distance_cm', '1h', T0)).toMatchObject({ count: 2, sum: '81' });
  });

  test('when the same entries are fetched and stored again (a re-fetch), then the buckets do not change', async () => {
    const { node, channel } = await tankWithEntries([
      { createdAt: at(10 * 60_000), fields: tank(70) },
      { createdAt: at(11 * 60_000), fields: tank(71) },
      { createdAt: at(2 * HOUR), fields: tank(72) },
    ]);
    await run();
    const before = await storedBuckets(core, node.id);

    // The cursor rewound: the next poll reads every entry again, and the primary key stores none.
    await core.db('channel_sync_state').where({ node_channel_id: channel.id }).update({ last_entry_id: 0, cursor_entry_at: null });
    expect(await pollChannel(deps, channel.id, log)).toMatchObject({ outcome: 'polled', inserted: 0 });
    const epoch = await core.db('channel_epochs').where({ node_channel_id: channel.id }).first('id');
    expect(await insertReadings(core.db, [{ channelEpochId: epoch.id, entryId: 1, recordedAt: at(10 * 60_000), fields: tank(70) }])).toEqual([]);
    await run();

    expect(before.length).toBeGreaterThan(0);
    expect(await storedBuckets(core, node.id)).toEqual(before);
    expect(await storedBuckets(core, node.id)).toEqual(await recomputedBuckets(core, node.id));
  });

  test('when entries back-dated to last week arrive after newer ones were folded (a backfill), then they land in last week\'s buckets exactly', async () => {
    const { node, channel } = await tankWithEntries([{ createdAt: at(0), fields: tank(80) }]);
    await run();
    const weekAgo = new Date(T0.getTime() - 7 * DAY);
    sim.appendEntries(channel.channelId, [
      { createdAt: weekAgo, fields: tank(90) },
      { createdAt: new Date(weekAgo.getTime() + 30 * 60_000), fields: tank(95) },
      { createdAt: new Date(weekAgo.getTime() + DAY), fields: tank(99) },
    ]);

    expect(await pollChannel(deps, channel.id, log)).toMatchObject({ outcome: 'polled', inserted: 3 });
    await run();
    const stored = await storedBuckets(core, node.id);

    expect(stored).toEqual(await recomputedBuckets(core, node.id));
    expect(bucketOf(stored, 'distance_cm', '1h', weekAgo)).toMatchObject({ count: 2, first: 90, last: 95, sum: '185' });
    expect(bucketOf(stored, 'distance_cm', '1h', T0)).toMatchObject({ count: 1, first: 80 });
  });

  test('when a history import is half done (newest pages first), then the job waits for it and then folds every entry once', async () => {
    const { node, channel } = await createNode(core);
    const epoch = await core.db('channel_epochs').where({ node_channel_id: channel.id }).first('id');
    const entry = (entryId: number, ms: number, d: number) => ({ channelEpochId: epoch.id as number, entryId, recordedAt: at(ms), fields: tank(d) });
    // The first page (newest entries, ids 4-6) is committed with the import's progress, as importHistory does.
    await insertReadings(core.db, [entry(4, 3 * HOUR, 60), entry(5, 3 * HOUR + 1_000, 61), entry(6, 4 * HOUR, 62)]);
    await core.db('channel_sync_state').where({ node_channel_id: channel.id }).update({ last_entry_id: 6, backfill_until: at(2 * HOUR), fetched_until: at(5 * HOUR) });
    await run();
    const midImport = await storedBuckets(core, node.id);

    await insertReadings(core.db, [entry(1, 0, 50), entry(2, 1_000, 51), entry(3, HOUR, 52)]);
    await core.db('channel_sync_state').where({ node_channel_id: channel.id }).update({ backfill_until: null });
    await run();
    const stored = await storedBuckets(core, node.id);

    expect(midImport).toEqual([]);
    expect(stored).toEqual(await recomputedBuckets(core, node.id));
    expect(bucketOf(stored, 'distance_cm', '1d', new Date(T0.getTime() - 10 * HOUR))).toMatchObject({ count: 6, first: 50, last: 62 });
  });

  test('when entries arrive out of time order (ids rising, times not; equal times), then first and last follow recorded time, then entry id', async () => {
    const { node, channel } = await tankWithEntries([
      { createdAt: at(30 * 60_000), fields: tank(10) },
      { createdAt: at(5 * 60_000), fields: tank(20) },
    ]);
    await run();
    sim.appendEntries(channel.channelId, [
      { createdAt: at(50 * 60_000), fields: tank(30) },
      { createdAt: at(-26 * HOUR), fields: tank(40) },
      { createdAt: at(5 * 60_000), fields: tank(15) },
      { createdAt: at(50 * 60_000), fields: tank(35) },
    ]);

    expect(await pollChannel(deps, channel.id, log)).toMatchObject({ outcome: 'polled', inserted: 4 });
    await run();
    const stored = await storedBuckets(core, node.id);

    expect(stored).toEqual(await recomputedBuckets(core, node.id));
    // 00:05 holds entries 2 and 5 (first: the lower id); 00:50 holds 3 and 6 (last: the higher id).
    expect(bucketOf(stored, 'distance_cm', '1h', T0)).toMatchObject({ count: 5, first: 20, last: 35, min: 10, max: 35, sum: '110' });
    expect(bucketOf(stored, 'distance_cm', '1d', new Date(T0.getTime() - 10 * HOUR - DAY))).toMatchObject({ count: 1, first: 40 });
  });

  test('when a channel is cleared on ThingSpeak, then the readings of the old epoch and of the new one are all folded once', async () => {
    const { node, channel } = await tankWithEntries([
      { createdAt: at(0), fields: tank(11) },
      { createdAt: at(1_000), fields: tank(12) },
      { createdAt: at(2_000), fields: tank(13) },
    ]);
    sim.clearChannel(channel.channelId);
    sim.appendEntries(channel.channelId, [{ createdAt: at(3_000), fields: tank(14) }]);

    expect(await pollChannel(deps, channel.id, log)).toMatchObject({ outcome: 'polled', cleared: true, inserted: 1 });
    await run();
    const stored = await storedBuckets(core, node.id);

    expect(stored).toEqual(await recomputedBuckets(core, node.id));
    expect(bucketOf(stored, 'distance_cm', '1h', T0)).toMatchObject({ count: 4, first: 11, last: 14, sum: '50' });
  });

  test('when readings are purged before a time, then the buckets before it go and the hour and day it falls in are rebuilt; a full purge removes them all', async () => {
    const { node } = await tankWithEntries([
      { createdAt: at(-DAY), fields: tank(21) },
      { createdAt: at(0), fields: tank(22) },
      { createdAt: at(10 * 60_000), fields: tank(23) },
      { createdAt: at(40 * 60_000), fields: tank(24) },
    ]);
    await run();

    await api.post(`/api/v1/nodes/${node.id}/purge-readings`, { confirm: node.nodeKey, before: at(30 * 60_000).toISOString() }).expect(200);
    const afterCut = await storedBuckets(core, node.id);
    const recomputedAfterCut = await recomputedBuckets(core, node.id);
    await api.post(`/api/v1/nodes/${node.id}/purge-readings`, { confirm: node.nodeKey }).expect(200);

    expect(afterCut).toEqual(recomputedAfterCut);
    expect(bucketOf(afterCut, 'distance_cm', '1h', T0)).toMatchObject({ count: 1, first: 24 });
    expect(bucketOf(afterCut, 'distance_cm', '1d', new Date(T0.getTime() - 10 * HOUR - DAY))).toBeUndefined();
    expect(await storedBuckets(core, node.id)).toEqual([]);
  });

  test('when the tank\'s size changes, then the next run rebuilds its buckets from the first whole day of stored readings; the older day keeps its values', async () => {
    const { node } = await tankWithEntries([
      { createdAt: at(-DAY), fields: tank(46) },
      { createdAt: at(0), fields: tank(46) },
      { createdAt: at(DAY), fields: tank(100) },
    ]);
    await run();

    await api.patch(`/api/v1/nodes/${node.id}`, { label: 'Renamed: readings mean the same' }).expect(200);
    const askedAfterRename = await core.db('rollup_rebuilds').where({ node_id: node.id }).first();
    await api.patch(`/api/v1/nodes/${node.id}`, { config: { tank: { shape: 'rectangular', unit: 'm', height: 2, length: 2, breadth: 1.5 } } }).expect(200);
    const untilTheJob = await storedBuckets(core, node.id);
    await run();
    const stored = await storedBuckets(core, node.id);
    const recomputed = await recomputedBuckets(core, node.id);

    expect(askedAfterRename).toBeUndefined();
    expect(bucketOf(untilTheJob, 'level_pct', '1h', T0)).toMatchObject({ first: 71.8 });
    expect(await core.db('rollup_rebuilds').where({ node_id: node.id }).first()).toBeUndefined();
    // H = 200 cm: d = 46 -> 77 %, d = 100 -> 50 %; the day of the oldest reading stays at H = 163 (71.8 %).
    expect(bucketOf(stored, 'level_pct', '1h', T0)).toMatchObject({ first: 77 });
    expect(bucketOf(stored, 'level_pct', '1h', at(DAY))).toMatchObject({ first: 50 });
    expect(bucketOf(stored, 'level_pct', '1h', at(-DAY))).toMatchObject({ first: 71.8 });
    const sinceFirstWholeDay = (b: { bucket_start: string | number }) => (b.bucket_start as string) >= new Date(T0.getTime() - 10 * HOUR).toISOString();
    expect(stored.filter(sinceFirstWholeDay)).toEqual(recomputed.filter(sinceFirstWholeDay));
    expect(stored.filter(sinceFirstWholeDay)).toHaveLength(4 * 4);
  });

  test('when a channel is detached, then its rollups stay', async () => {
    const { node, channel } = await tankWithEntries([{ createdAt: at(0), fields: tank(33) }]);
    await run();
    const before = await storedBuckets(core, node.id);

    await api.del(`/api/v1/nodes/${node.id}/channels/${channel.channelId}`).expect(200);

    expect(before.length).toBe(8);
    expect(await storedBuckets(core, node.id)).toEqual(before);
  });

  test('when a node reads two channels, then each keeps its own buckets and both equal the recomputation', async () => {
    const second = nextChannelId();
    const { node } = await createNode(core, {
      channels: [
        { channelId: nextChannelId(), fieldMapping: { field1: 'temperature', field2: 'distance_cm' }, active: true },
        { channelId: second, fieldMapping: { field1: 'temperature' }, active: true },
      ],
    });
    for (const c of node.channels) {
      sim.createChannel({ id: c.channelId, createdAt: new Date(T0.getTime() - DAY) });
      sim.appendEntries(c.channelId, [{ createdAt: at(c.channelId === second ? 60_000 : 0), fields: tank(50, c.channelId === second ? 30 : 20) }]);
      await pollChannel(deps, c.id, log);
    }
    await run();
    const stored = await storedBuckets(core, node.id);

    expect(stored).toEqual(await recomputedBuckets(core, node.id));
    expect(stored.filter((b) => b.metric === 'temperature' && b.bucket === '1h').map((b) => b.first).sort()).toEqual([20, 30]);
  });
});

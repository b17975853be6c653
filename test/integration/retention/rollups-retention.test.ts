import { applyRetention, type RetentionPolicy } from '../../../src/shared/retention/retention.repository';
import { ensureChannelEpoch } from '../../../src/shared/readings/channel-epochs';
import { insertReadings } from '../../../src/shared/readings/reading-writer';
import { updateRollups } from '../../../src/shared/rollups/update-rollups';
import { createNode } from '../../helpers/factories';
import { storedBuckets } from '../../helpers/rollups';
import { createTestCore, type TestCore } from '../../helpers/test-core';

const DAY_MS = 86_400_000;
// An era of its own (retention.test.ts uses 2000): retention deletes across the whole table.
const NOW = new Date('2004-06-01T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const POLICY: RetentionPolicy = { readingsDays: 30, alertsDays: 90, auditDays: 365, rollupsDays: 730, hourlyRollupsDays: 730, batchSize: 1_000 };

describe('retention of rollups (RETENTION_ROLLUPS_DAYS)', () => {
  let core: TestCore;

  beforeAll(() => {
    core = createTestCore();
  });

  afterAll(async () => {
    await core.close();
  });

  test('given readings and their rollups of 800, 40 and 1 days ago, when retention runs, then raw readings past 30 days go, rollups stay up to 730 days, older rollups go', async () => {
    await applyRetention(core.db, POLICY, NOW);
    const { node, channel } = await createNode(core);
    const channelEpochId = await ensureChannelEpoch(core.db, channel.id, 0);
    const times = [ago(800), ago(40), ago(1)];
    await insertReadings(core.db, times.map((recordedAt, i) => ({ channelEpochId, entryId: i + 1, recordedAt, fields: { field1: '20', field2: '50' } })));
    await core.db('channel_sync_state').where({ node_channel_id: channel.id }).update({ last_entry_id: times.length });
    await updateRollups({ db: core.db }, core.log);
    const before = await storedBuckets(core, node.id);

    const report = await applyRetention(core.db, POLICY, NOW);
    const after = await storedBuckets(core, node.id);
    const readings = await core.db('readings').where({ channel_epoch_id: channelEpochId }).orderBy('recorded_at').pluck('recorded_at');

    // 4 metrics x (hour, day) per reading.
    expect(before).toHaveLength(24);
    expect(report.reading_rollups.deleted).toBeGreaterThanOrEqual(8);
    expect(after).toHaveLength(16);
    expect(new Set(after.map((b) => (b.bucket_start as string).slice(0, 10)))).toEqual(new Set([ago(40), ago(1)].map((d) => d.toISOString().slice(0, 10))));
    expect(readings).toEqual([ago(1)]);
  });

  test('given rollups of 40 and 1 days ago, when retention keeps hourly buckets 30 days, then the hours of 40 days ago go and their day stays', async () => {
    await applyRetention(core.db, POLICY, NOW);
    const { node, channel } = await createNode(core);
    const channelEpochId = await ensureChannelEpoch(core.db, channel.id, 0);
    const times = [ago(40), ago(1)];
    await insertReadings(core.db, times.map((recordedAt, i) => ({ channelEpochId, entryId: i + 1, recordedAt, fields: { field1: '20', field2: '50' } })));
    await core.db('channel_sync_state').where({ node_channel_id: channel.id }).update({ last_entry_id: times.length });
    await updateRollups({ db: core.db }, core.log);

    await applyRetention(core.db, { ...POLICY, hourlyRollupsDays: 30 }, NOW);
    const after = await storedBuckets(core, node.id);

    // 4 metrics: the day and the hour of 1 day ago, and only the day of 40 days ago.
    expect(after).toHaveLength(12);
    const old = after.filter((b) => (b.bucket_start as string).slice(0, 10) === ago(40).toISOString().slice(0, 10));
    expect(old.map((b) => b.bucket)).toEqual(['1d', '1d', '1d', '1d']);
  });
});

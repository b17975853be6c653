import type { Db } from '../../../src/shared/db/knex';
import { runMigrations } from '../../../src/shared/db/migrate';
import { ensureChannelEpoch } from '../../../src/shared/readings/channel-epochs';
import { decodeStored, type StoredFields } from '../../../src/shared/readings/reading-codec';
import { COMPACTED_MARK, compactReadingPartitions } from '../../../src/shared/readings/reading-partition-compaction';
import { ensureReadingPartitions, readingPartitions } from '../../../src/shared/readings/reading-partitions';
import { insertReadings, type ReadingToStore } from '../../../src/shared/readings/reading-writer';
import { applyRetention } from '../../../src/shared/retention/retention.repository';
import { ENSURE_PARTITIONS_SCHEDULER_ID, startWorkers } from '../../../src/workers/start-workers';
import { openOwnDatabase } from '../../helpers/own-database';
import { createTestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';

// Partition DDL changes the whole table, so these tests run on a database of their own; each one
// works in its own year, and retention's cutoff always falls before the other tests' years.

const DAY_MS = 86_400_000;
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const hours = (d: Date, h: number) => new Date(d.getTime() + h * 3600_000);

describe('readings partitions', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let nodeChannelId: string;

  beforeAll(async () => {
    ({ db, drop } = await openOwnDatabase('reading_partitions'));
    await runMigrations(db, 'latest');
    const community = (await db('communities').where({ slug: 'default' }).first('id')) as { id: string };
    const [node] = (await db('nodes').insert({ node_key: 'partitions', label: 'partitions', category: 'OHT', analytics_type: 'EvaraTank', community_id: community.id }).returning('id')) as Array<{ id: string }>;
    const [channel] = (await db('node_channels').insert({ node_id: node!.id, channel_id: 1 }).returning('id')) as Array<{ id: string }>;
    nodeChannelId = channel!.id;
  });

  afterAll(async () => {
    await drop();
  });

  const partitionOf = async (at: Date) =>
    ((await db.raw(`SELECT tableoid::regclass::text AS p FROM readings WHERE recorded_at = ?`, [at])) as { rows: Array<{ p: string }> }).rows.map((r) => r.p);

  test('when partitions are ensured for a window, then each missing day is created once, and again nothing', async () => {
    const now = hours(day('1998-05-10'), 13);

    const first = await ensureReadingPartitions(db, now, { daysBack: 2, daysAhead: 1 });
    const second = await ensureReadingPartitions(db, now, { daysBack: 2, daysAhead: 1 });

    expect(first).toEqual({ created: ['readings_p19980508', 'readings_p19980509', 'readings_p19980510', 'readings_p19980511'], movedRows: 0 });
    expect(second).toEqual({ created: [], movedRows: 0 });
    const [a, b] = await Promise.all([ensureReadingPartitions(db, now, { daysBack: 4, daysAhead: 3 }), ensureReadingPartitions(db, now, { daysBack: 4, daysAhead: 3 })]);
    // Two workers at once: the advisory lock lets each missing day be made by exactly one of them.
    expect([...a.created, ...b.created].sort()).toEqual(['readings_p19980506', 'readings_p19980507', 'readings_p19980512', 'readings_p19980513']);
  });

  test('given readings of a day in the default partition, when that day gets its partition, then they move into it unchanged', async () => {
    const epochId = await ensureChannelEpoch(db, nodeChannelId, 0);
    const d = day('1995-03-05');
    const rows: ReadingToStore[] = [
      { channelEpochId: epochId, entryId: 1, recordedAt: hours(d, -1), fields: { field1: '1' } },
      { channelEpochId: epochId, entryId: 2, recordedAt: hours(d, 0), fields: { field1: '30.720', field2: 'nan' } },
      { channelEpochId: epochId, entryId: 3, recordedAt: hours(d, 23.5), fields: { field1: null, field2: '46' } },
      { channelEpochId: epochId, entryId: 4, recordedAt: hours(d, 24), fields: { field1: '2' } },
    ];
    await insertReadings(db, rows);
    expect(await partitionOf(hours(d, 0))).toEqual(['readings_default']);

    const report = await ensureReadingPartitions(db, hours(d, 12), { daysBack: 0, daysAhead: 0 });

    expect(report).toEqual({ created: ['readings_p19950305'], movedRows: 2 });
    expect(await partitionOf(hours(d, -1))).toEqual(['readings_default']);
    expect(await partitionOf(hours(d, 0))).toEqual(['readings_p19950305']);
    expect(await partitionOf(hours(d, 23.5))).toEqual(['readings_p19950305']);
    expect(await partitionOf(hours(d, 24))).toEqual(['readings_default']);
    const moved = (await db('readings').where('channel_epoch_id', epochId).whereIn('entry_id', [2, 3]).orderBy('entry_id')) as StoredFields[];
    expect(moved.map((r) => decodeStored(r).raw)).toEqual([
      { field1: '30.720', field2: 'nan' },
      { field2: '46' },
    ]);
    // The moved rows are still keyed: storing them again inserts nothing.
    expect(await insertReadings(db, rows)).toEqual([]);
  });

  test('given readings on both sides of the cutoff, when retention runs, then whole days are dropped and the rest older than the cutoff deleted in batches', async () => {
    const epochId = await ensureChannelEpoch(db, nodeChannelId, 1);
    const now = hours(day('1994-01-10'), 12);
    await ensureReadingPartitions(db, now, { daysBack: 5, daysAhead: 0 });
    // Every 6 hours from Jan 4 (before any partition: default) to Jan 10.
    const times = Array.from({ length: 26 }, (_, i) => hours(day('1994-01-04'), i * 6));
    await insertReadings(
      db,
      times.map((at, i) => ({ channelEpochId: epochId, entryId: i + 1, recordedAt: at, fields: { field1: String(i) } })),
    );

    const report = await applyRetention(db, { readingsDays: 3, alertsDays: 10_000, auditDays: 10_000, rollupsDays: 10_000, hourlyRollupsDays: 10_000, batchSize: 2 }, now);

    // Cutoff Jan 7 12:00: Jan 5 and 6 dropped; Jan 4 (default, 4 rows) and Jan 7 00:00, 06:00 deleted
    // (2 + 3 statements: each partition ends with a batch that finds fewer than 2).
    expect(report.readings).toMatchObject({ partitionsDropped: 2, deleted: 6, batches: 5 });
    const left = (await db('readings').where('channel_epoch_id', epochId).orderBy('recorded_at').pluck('recorded_at')) as Date[];
    expect(left.map((t) => t.toISOString())).toEqual(times.filter((t) => t >= hours(day('1994-01-07'), 12)).map((t) => t.toISOString()));
    expect(await readingPartitions(db)).not.toEqual(expect.arrayContaining(['readings_p19940105']));
    expect(await readingPartitions(db)).toEqual(expect.arrayContaining(['readings_p19940107', 'readings_p19940110', 'readings_default']));
  });

  test('given a finished day whose index grew from interleaved inserts, when compacted, then its index is rebuilt smaller once, and attached as before', async () => {
    const d = day('1997-02-01');
    await ensureReadingPartitions(db, day('1997-02-03'), { daysBack: 2, daysAhead: 0 });
    const epochIds: number[] = [];
    for (let e = 10; e < 310; e++) epochIds.push(await ensureChannelEpoch(db, nodeChannelId, e));
    // 300 channels each writing every 5 minutes: inserts spread over the whole key, as polls do.
    const rows: ReadingToStore[] = [];
    for (let n = 1; n <= 200; n++) {
      epochIds.forEach((channelEpochId, i) => rows.push({ channelEpochId, entryId: n, recordedAt: new Date(d.getTime() + n * 300_000 + i * 100), fields: { field1: `${n}.${i}` } }));
    }
    for (let i = 0; i < rows.length; i += 300) await insertReadings(db, rows.slice(i, i + 300));
    const indexBytes = async () => Number(((await db.raw(`SELECT pg_relation_size('readings_p19970201_pkey') AS b`)) as { rows: Array<{ b: string }> }).rows[0]!.b);
    const before = await indexBytes();

    // Feb 1 ends at Feb 2 00:00 and is left alone for a day more, for late entries.
    expect(await compactReadingPartitions(db, hours(day('1997-02-02'), 23))).toEqual([]);
    const compacted = await compactReadingPartitions(db, day('1997-02-03'));
    const again = await compactReadingPartitions(db, day('1997-02-04'));

    expect(compacted).toEqual(['readings_p19970201']);
    expect(again).toEqual([]);
    expect(await indexBytes()).toBeLessThan(before * 0.9);
    const { rows: info } = (await db.raw(`
      SELECT obj_description('readings_p19970201'::regclass, 'pg_class') AS note,
             (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = 'readings_p19970201_pkey'::regclass) AS parent_index`)) as { rows: Array<{ note: string; parent_index: string }> };
    expect(info[0]).toEqual({ note: COMPACTED_MARK, parent_index: 'readings_pkey' });
    expect(await insertReadings(db, rows.slice(0, 10))).toEqual([]);
  });

  test('when a channel is deleted, then its epochs and their readings in every partition go with it', async () => {
    const [node] = (await db('nodes').insert({ node_key: 'gone', label: 'gone', category: 'OHT', analytics_type: 'EvaraTank', community_id: (await db('communities').first('id')).id }).returning('id')) as Array<{ id: string }>;
    const [channel] = (await db('node_channels').insert({ node_id: node!.id, channel_id: 2 }).returning('id')) as Array<{ id: string }>;
    const epochId = await ensureChannelEpoch(db, channel!.id, 0);
    await insertReadings(db, [
      { channelEpochId: epochId, entryId: 1, recordedAt: hours(day('1995-03-05'), 1), fields: { field1: '1' } },
      { channelEpochId: epochId, entryId: 2, recordedAt: new Date('1980-01-01T00:00:00Z'), fields: { field1: '2' } },
      { channelEpochId: epochId, entryId: 3, recordedAt: new Date(), fields: { field1: '3' } },
    ]);

    await db('nodes').where({ id: node!.id }).delete();

    expect(await db('channel_epochs').where({ id: epochId })).toEqual([]);
    expect(await db('readings').where({ channel_epoch_id: epochId })).toEqual([]);
  });
});

describe('ensure-partitions job on the maintenance queue', () => {
  test('when a maintenance worker starts, then the job runs at once, the hourly scheduler exists, and every kept day and the week ahead have a partition', async () => {
    const core = createTestCore({ WORKER_QUEUES: 'maintenance' });
    const workers = await startWorkers(core);
    try {
      // The scheduler's first run and the start-up job may overlap: one does the work, the other skips.
      const didWork = async () => (await core.queues.maintenance.getJobs(['completed'])).some((j) => j.name === 'ensure-partitions' && 'created' in (j.returnvalue as object));
      await waitFor(didWork, { what: 'ensure-partitions job completed' });
      expect(await core.queues.maintenance.getJobScheduler(ENSURE_PARTITIONS_SCHEDULER_ID)).toMatchObject({ every: 3_600_000, name: 'ensure-partitions' });
      const partitions = new Set(await readingPartitions(core.db));
      const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
      for (let d = -core.config.retention.readingsDays; d <= 7; d++) {
        expect(partitions).toContain(`readings_p${new Date(today + d * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '')}`);
      }
    } finally {
      await workers.close();
      await core.close();
    }
  });
});

/**
 * update-rollups at fleet size: `npx tsx bench/rollups.bench.ts` (not part of npm test).
 * BENCH_CHANNELS (10k) tank channels, each with BENCH_HISTORY_DAYS (30) days of history (one
 * reading a day, so every day partition of the retention window holds rows) and its rollups
 * (written server-side); then one new entry per channel, and one update-rollups run is timed
 * (several rounds). A floor in the same run: the server inserting as many bucket rows alone. Prints the run's
 * time, readings folded and buckets written, and the same for a run with nothing to do.
 * A throwaway database `evara_bench_rollups` on DATABASE_URL's server, dropped at the end.
 */
import { createLogger } from '../src/shared/logger';
import { insertReadings, type ReadingToStore } from '../src/shared/readings/reading-writer';
import { ensureReadingPartitions } from '../src/shared/readings/reading-partitions';
import { updateRollups, type UpdateRollupsResult } from '../src/shared/rollups/update-rollups';
import { openBenchDatabase } from './bench-database';

const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 10_000);
const HISTORY_DAYS = Number(process.env.BENCH_HISTORY_DAYS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DAY_MS = 86_400_000;

const out = (line = '') => console.log(line);

async function main(): Promise<void> {
  const { db, drop } = await openBenchDatabase('evara_bench_rollups');
  const log = createLogger({ service: 'bench', version: 'bench', level: 'warn' });
  try {
    const now = Date.now();
    await ensureReadingPartitions(db, new Date(now), { daysBack: HISTORY_DAYS, daysAhead: 1 });
    const community = await db('communities').where({ slug: 'default' }).first('id');
    await db.raw(
      `WITH n AS (
         INSERT INTO nodes (community_id, node_key, label, category, analytics_type, config)
         SELECT ?, 'bench-' || i, 'Bench tank ' || i, 'OHT', 'EvaraTank', '{"tank":{"shape":"rectangular","unit":"m","height":1.63,"length":2,"breadth":1.5}}'::jsonb
           FROM generate_series(1, ?) AS i RETURNING id, node_key),
       c AS (
         INSERT INTO node_channels (node_id, channel_id, field_mapping)
         SELECT id, 100000 + substring(node_key from 7)::int, '{"field1":"temperature","field2":"distance_cm"}'::jsonb FROM n RETURNING id),
       s AS (INSERT INTO channel_sync_state (node_channel_id) SELECT id FROM c)
       INSERT INTO channel_epochs (node_channel_id, epoch) SELECT id, 0 FROM c`,
      [community.id, CHANNELS],
    );
    const epochs: Array<{ id: number; node_channel_id: string }> = await db('channel_epochs').select('id', 'node_channel_id').orderBy('id');
    let entryId = 0;
    const store = async (days: number[]) => {
      const rows: ReadingToStore[] = [];
      for (const d of days) {
        entryId += 1;
        for (const e of epochs) rows.push({ channelEpochId: e.id, entryId, recordedAt: new Date(now - d * DAY_MS - (e.id % 3_600) * 1_000), fields: { field1: '25', field2: String(40 + (e.id % 100)) } });
      }
      await insertReadings(db, rows);
      await db('channel_sync_state').update({ last_entry_id: entryId });
    };

    // Time per statement of a run, by its first words: where the run's time goes.
    const started = new Map<string, number>();
    let statements: Record<string, number> = {};
    const onQuery = (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now());
    const onResponse = (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
      const key = q.sql.replace(/\s+/g, ' ').trim().slice(0, 40);
      statements[key] = Math.round((statements[key] ?? 0) + performance.now() - (started.get(q.__knexQueryUid) ?? performance.now()));
    };
    const timed = async (): Promise<{ ms: number; result: UpdateRollupsResult; statements: Record<string, number> }> => {
      statements = {};
      db.on('query', onQuery).on('query-response', onResponse);
      const t = performance.now();
      const result = await updateRollups({ db }, log).finally(() => db.off('query', onQuery).off('query-response', onResponse));
      return { ms: performance.now() - t, result, statements };
    };
    const show = (label: string, r: { ms: number; result: UpdateRollupsResult; statements: Record<string, number> }) => {
      out(`${label.padEnd(34)} ${r.ms.toFixed(0).padStart(7)} ms  ${JSON.stringify(r.result)}`);
      for (const [sql, ms] of Object.entries(r.statements)) if (ms >= 5) out(`    ${String(ms).padStart(6)} ms  ${sql}`);
    };

    out(`update-rollups bench: ${CHANNELS} channels, ${HISTORY_DAYS} days of history, ${ROUNDS} rounds`);
    await store(Array.from({ length: HISTORY_DAYS }, (_, i) => HISTORY_DAYS - i));
    // The history's rollups, written server-side (folding them here would time the first fold instead),
    // so the table and its indexes have their steady size: one hour and one day row per metric and day.
    for (let d = HISTORY_DAYS + 1; d > 0; d--) {
      const dayStart = new Date(Math.floor((now - d * DAY_MS) / DAY_MS) * DAY_MS);
      await db.raw(
      `INSERT INTO reading_rollups
       SELECT c.id, m.metric, b.bucket, date_trunc(CASE b.bucket WHEN '1h' THEN 'hour' ELSE 'day' END, r.recorded_at, 'UTC'),
              1, 50, 50, 50, 50, r.recorded_at, r.channel_epoch_id, r.entry_id, 50, r.recorded_at, r.channel_epoch_id, r.entry_id
         FROM readings r JOIN channel_epochs e ON e.id = r.channel_epoch_id JOIN node_channels c ON c.id = e.node_channel_id
        CROSS JOIN (VALUES ('distance_cm'), ('temperature'), ('level_pct'), ('volume_l')) AS m(metric)
        CROSS JOIN (VALUES ('1h'), ('1d')) AS b(bucket)
        WHERE r.recorded_at >= ? AND r.recorded_at < ?`,
        [dayStart, new Date(dayStart.getTime() + DAY_MS)],
      );
    }
    await db.raw('INSERT INTO rollup_progress (channel_epoch_id, last_entry_id) SELECT id, ? FROM channel_epochs', [entryId]);
    await db.raw('ANALYZE');
    show('nothing new', await timed());
    for (let round = 1; round <= ROUNDS; round++) {
      await store([0]);
      show(`one new entry per channel (#${round})`, await timed());
    }
    // Floor: the server alone inserting as many bucket rows into a copy of the table (same indexes), no conflicts.
    await db.raw('CREATE TABLE rollups_floor (LIKE reading_rollups INCLUDING ALL)');
    const floorStart = performance.now();
    await db.raw('INSERT INTO rollups_floor SELECT * FROM reading_rollups ORDER BY node_channel_id, metric, bucket, bucket_start LIMIT ?', [CHANNELS * 8]);
    out(`floor: server-side INSERT of ${CHANNELS * 8} bucket rows ${(performance.now() - floorStart).toFixed(0).padStart(7)} ms`);
    const { rows } = await db.raw<{ rows: Array<{ rollups: string; size: string }> }>(
      `SELECT count(*)::text AS rollups, pg_size_pretty(pg_total_relation_size('reading_rollups')) AS size FROM reading_rollups`,
    );
    out(`reading_rollups: ${rows[0]!.rollups} rows, ${rows[0]!.size} with indexes`);
  } finally {
    await drop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

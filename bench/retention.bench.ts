/**
 * Retention benchmark: `npx tsx bench/retention.bench.ts` (not part of npm test).
 * Seeds BENCH_OLD_ROWS (200k) expired readings in day partitions, a tenth as many expired ones in
 * the default partition (back-dated entries), and some fresh ones, into its own throwaway database
 * `evara_bench_retention` on the DATABASE_URL server. Runs retention (whole expired days dropped,
 * the rest deleted in batches) while a writer keeps inserting readings as a poll would, and prints
 * the partitions dropped, rows/s of the batched part, the longest single batch and the writer's
 * worst insert latency (the figure that shows the table is never locked for long).
 */
import { openBenchDatabase } from './bench-database';
import { createCommunitiesRepository } from '../src/shared/communities/communities.repository';
import { createNodesRepository } from '../src/shared/nodes/nodes.repository';
import { ensureChannelEpoch } from '../src/shared/readings/channel-epochs';
import { ensureReadingPartitions } from '../src/shared/readings/reading-partitions';
import { insertReadings } from '../src/shared/readings/reading-writer';
import { applyRetention } from '../src/shared/retention/retention.repository';
import { buildNodeInput } from '../test/helpers/factories';

const DB_NAME = 'evara_bench_retention';
const DAY_MS = 86_400_000;
const out = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const oldRows = Number(process.env.BENCH_OLD_ROWS ?? 200_000);
  const defaultRows = Math.ceil(oldRows / 10);
  const { config, db, drop } = await openBenchDatabase(DB_NAME);
  try {
    const community = await createCommunitiesRepository(db).findBySlug('default');
    const node = await createNodesRepository(db, config.encryptionKey).create(buildNodeInput(), community!.id);
    if (node === 'node_key_taken') throw new Error('node key taken in a fresh database');
    const channelId = node.channels[0]!.id;
    const [epoch0, epoch1, epoch2] = [await ensureChannelEpoch(db, channelId, 0), await ensureChannelEpoch(db, channelId, 1), await ensureChannelEpoch(db, channelId, 2)];
    const now = Date.now();
    const cutoff = new Date(now - config.retention.readingsDays * DAY_MS);

    const seedStarted = performance.now();
    // Old rows one minute apart ending a day before the cutoff, each day in its own partition (as
    // the hourly job would have made them); back-dated ones from 2001 in the default partition;
    // 10% as many fresh rows after the cutoff.
    const oldestDay = Math.ceil((now - (cutoff.getTime() - DAY_MS - oldRows * 60_000)) / DAY_MS) + 1;
    await ensureReadingPartitions(db, new Date(now), { daysBack: oldestDay, daysAhead: 7 });
    const seed = (epochId: number, from: Date | string, step: string, count: number) =>
      db.raw(
        `INSERT INTO readings (recorded_at, channel_epoch_id, entry_id, f1)
         SELECT ?::timestamptz - g * interval '${step}', ?, g, 1 FROM generate_series(1, ?) g`,
        [from, epochId, count],
      );
    await seed(epoch0, new Date(cutoff.getTime() - DAY_MS), '1 minute', oldRows);
    await seed(epoch1, '2001-06-01T00:00:00Z', '1 minute', defaultRows);
    await seed(epoch2, new Date(now), '1 second', Math.ceil(oldRows / 10));
    await db.raw('ANALYZE readings');
    const partitions = ((await db.raw(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'readings'::regclass`)) as { rows: Array<{ n: number }> }).rows[0]!.n;
    out(`seeded ${oldRows} expired readings in day partitions, ${defaultRows} in the default one and ${Math.ceil(oldRows / 10)} fresh ones in ${Math.round(performance.now() - seedStarted)} ms (${partitions} partitions)`);

    // A poller's writes meanwhile: one insert at a time, each timed.
    let writing = true;
    const insertMs: number[] = [];
    const writer = (async () => {
      const epoch3 = await ensureChannelEpoch(db, channelId, 3);
      let entryId = 0;
      while (writing) {
        const t = performance.now();
        await insertReadings(db, [{ channelEpochId: epoch3, entryId: ++entryId, recordedAt: new Date(), fields: { field1: '1' } }]);
        insertMs.push(performance.now() - t);
      }
    })();

    const started = performance.now();
    const report = await applyRetention(db, config.retention, new Date(now));
    const seconds = (performance.now() - started) / 1000;
    writing = false;
    await writer;

    const left = (await db('readings').where('recorded_at', '<', cutoff).count({ n: '*' }).first()) as { n: string };
    insertMs.sort((a, b) => a - b);
    const p99 = insertMs[Math.floor(insertMs.length * 0.99)] ?? 0;
    out(`batch size            ${config.retention.batchSize}`);
    out(`partitions dropped    ${report.readings.partitionsDropped}`);
    out(`readings deleted      ${report.readings.deleted} in ${report.readings.batches} batches (expired left: ${left.n})`);
    out(`total time            ${seconds.toFixed(2)} s`);
    out(`throughput            ${Math.round((oldRows + defaultRows) / seconds)} expired rows/s (dropped or deleted)`);
    out(`max single batch      ${report.readings.maxBatchMs} ms`);
    out(`concurrent inserts    ${insertMs.length}, p99 ${p99.toFixed(1)} ms, max ${(insertMs.at(-1) ?? 0).toFixed(1)} ms`);
  } finally {
    await drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});

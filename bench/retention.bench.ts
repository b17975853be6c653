/**
 * Retention benchmark: `npx tsx bench/retention.bench.ts` (not part of npm test).
 * Seeds BENCH_OLD_ROWS (200k) expired readings and some fresh ones into its own throwaway database
 * `evara_bench_retention` on the DATABASE_URL server, runs the batched delete while a writer keeps
 * inserting readings as a poll would, and prints rows/s, batches, the longest single batch and the
 * writer's worst insert latency (the figure that shows the table is never locked for long).
 */
import { openBenchDatabase } from './bench-database';
import { createCommunitiesRepository } from '../src/shared/communities/communities.repository';
import { createNodesRepository } from '../src/shared/nodes/nodes.repository';
import { applyRetention } from '../src/shared/retention/retention.repository';
import { buildNodeInput } from '../test/helpers/factories';

const DB_NAME = 'evara_bench_retention';
const DAY_MS = 86_400_000;
const out = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const oldRows = Number(process.env.BENCH_OLD_ROWS ?? 200_000);
  const { config, db, drop } = await openBenchDatabase(DB_NAME);
  try {
    const community = await createCommunitiesRepository(db).findBySlug('default');
    const node = await createNodesRepository(db, config.encryptionKey).create(buildNodeInput(), community!.id);
    if (node === 'node_key_taken') throw new Error('node key taken in a fresh database');
    const channelId = node.channels[0]!.id;
    const now = Date.now();
    const cutoff = new Date(now - config.retention.readingsDays * DAY_MS);

    const seedStarted = performance.now();
    // Old rows one minute apart ending a day before the cutoff; 10% as many fresh rows after it.
    await db.raw(
      `INSERT INTO readings (node_channel_id, node_id, epoch, entry_id, recorded_at, raw, parsed)
       SELECT ?, ?, 0, g, ?::timestamptz - g * interval '1 minute', '{"field1":"1"}', '{"field1":{"value":1,"status":"ok"}}'
       FROM generate_series(1, ?) g`,
      [channelId, node.id, new Date(cutoff.getTime() - DAY_MS), oldRows],
    );
    await db.raw(
      `INSERT INTO readings (node_channel_id, node_id, epoch, entry_id, recorded_at, raw, parsed)
       SELECT ?, ?, 1, g, now() - g * interval '1 second', '{"field1":"1"}', '{"field1":{"value":1,"status":"ok"}}'
       FROM generate_series(1, ?) g`,
      [channelId, node.id, Math.ceil(oldRows / 10)],
    );
    await db.raw('ANALYZE readings');
    out(`seeded ${oldRows} expired + ${Math.ceil(oldRows / 10)} fresh readings in ${Math.round(performance.now() - seedStarted)} ms`);

    // A poller's writes meanwhile: one insert at a time, each timed.
    let writing = true;
    const insertMs: number[] = [];
    const writer = (async () => {
      let entryId = 0;
      while (writing) {
        const t = performance.now();
        await db('readings').insert({ node_channel_id: channelId, node_id: node.id, epoch: 2, entry_id: ++entryId, recorded_at: new Date(), raw: {}, parsed: {} });
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
    out(`readings deleted      ${report.readings.deleted} in ${report.readings.batches} batches (expired left: ${left.n})`);
    out(`total time            ${seconds.toFixed(2)} s`);
    out(`throughput            ${Math.round(report.readings.deleted / seconds)} rows/s`);
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

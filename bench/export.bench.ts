/**
 * CSV export benchmark: `npm run bench:export -- [--smoke]` (not part of npm test).
 * Seeds BENCH_EXPORT_ROWS (1,000,000; --smoke 50,000) readings for one tank node, one every 15 s up
 * to now, into a throwaway database `evara_bench_export` (INSERT ... SELECT generate_series), starts
 * the compiled API as a child (NODE_ENV=production, Redis keys under `evara-export-bench-<pid>:`,
 * port BENCH_EXPORT_PORT or 41201), downloads GET /nodes/:id/readings.csv and reports rows/s and the
 * API's RSS before vs its peak during the export (sampled from /proc every 50 ms). The floor, in the
 * same run: the same rows, same order, through `COPY (SELECT ...) TO STDOUT (FORMAT csv)` read by a
 * bare pg client (pg-copy-streams). The API runs with DATABASE_STATEMENT_TIMEOUT_MS=5000 on purpose:
 * an export longer than that completes only because it sets its own timeout. Everything is removed
 * at the end, also on failure or Ctrl-C. See BENCHMARKS.md.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import IORedis from 'ioredis';
import { openBenchDatabase } from './bench-database';
import { deleteKeysByPrefix } from './poll/harness';
import { procMemoryMiB, startChild, type BenchChild } from './poll/child-process';
import { benchResultLine, fmt, out, printTable, type Row } from './poll/report';
import { runBenchMain } from './run-bench-main';
import { seedFleet } from './poll/seed-fleet';
import { ensureReadingPartitions } from '../src/shared/readings/reading-partitions';
import { waitFor } from '../test/helpers/wait-for';

const DB_NAME = 'evara_bench_export';

/** VmRSS of a process now (MiB), read synchronously so a checkpoint is taken where it is asked for. */
function rssNowMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}
const INTERVAL_S = 15;
const SEED_SLICE = 250_000;
const POOL_STATEMENT_TIMEOUT_MS = 5_000;

interface Download {
  rows: number;
  bytes: number;
  seconds: number;
  complete: boolean;
}

/** Reads a stream of CSV bytes to the end, counting records: line ends outside quotes (a quoted cell may hold CRLFs). */
async function countLines(chunks: AsyncIterable<Uint8Array>, started: number, onProgress?: (records: number) => void): Promise<Download> {
  let lines = 0;
  let bytes = 0;
  let last = 0;
  let quoted = false;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 34) quoted = !quoted;
      else if (c === 10 && !quoted) lines++;
    }
    last = chunk[chunk.length - 1] ?? last;
    onProgress?.(lines);
  }
  return { rows: lines, bytes, seconds: (performance.now() - started) / 1000, complete: last === 10 && !quoted };
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const total = Number(process.env.BENCH_EXPORT_ROWS ?? (smoke ? 50_000 : 1_000_000));
  const port = Number(process.env.BENCH_EXPORT_PORT ?? 41201);
  const startedAt = performance.now();
  out(`export bench: ${total.toLocaleString('en-US')} readings of one node${smoke ? ' (smoke: do not quote)' : ''}${process.env.BENCH_EXPORT_NODE_ARGS ? `, API run with ${process.env.BENCH_EXPORT_NODE_ARGS}` : ''}`);
  const cleanups: Array<() => Promise<unknown>> = [];
  closeAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => process.stderr.write(`cleanup failed: ${(err as Error).message}\n`));
  };
  try {
    const bench = await openBenchDatabase(DB_NAME);
    cleanups.push(() => bench.drop());
    const db = bench.db;
    const prefix = `evara-export-bench-${process.pid}`;
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    cleanups.push(async () => {
      await deleteKeysByPrefix(redis, prefix);
      redis.disconnect();
    });

    // Seed: one node, readings every 15 s ending now, in day partitions as production keeps them.
    let t0 = performance.now();
    const [node] = await seedFleet(db, { channels: [4_200_001] });
    const epoch = (await db('channel_epochs').where({ node_channel_id: node!.nodeChannelId }).first('id')) as { id: number };
    const now = Date.now();
    const first = now - total * INTERVAL_S * 1000;
    await ensureReadingPartitions(db, new Date(now), { daysBack: Math.ceil((now - first) / 86_400_000) + 1, daysAhead: 1 });
    // Temperatures and distances as a tank writes them; every 997th distance is the fixture's "nan\r\n\r\n" (kept raw, quoted in CSV).
    // In slices: one statement per 250k rows stays far below the pool's 30 s timeouts.
    for (let from = 1; from <= total; from += SEED_SLICE) {
      await db.raw(
        `INSERT INTO readings (recorded_at, channel_epoch_id, entry_id, f1, f2, raw)
         SELECT to_timestamp(?::float8 / 1000) + g * interval '${INTERVAL_S} seconds', ?, g,
                round((24 + 6 * sin(g / 5760.0))::numeric, 2)::float8,
                CASE WHEN g % 997 = 0 THEN NULL ELSE round((40 + (g % 120) * 0.5)::numeric, 1)::float8 END,
                CASE WHEN g % 997 = 0 THEN '{"field2":"nan\\r\\n\\r\\n"}'::jsonb END
         FROM generate_series(?::int, ?::int) g`,
        [first, epoch.id, from, Math.min(total, from + SEED_SLICE - 1)],
      );
    }
    await db.raw('ANALYZE readings');
    out(`seeded ${total.toLocaleString('en-US')} readings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // The API, compiled, as Render runs it.
    const apiKey = `benchexport_${randomBytes(24).toString('hex')}`;
    // BENCH_EXPORT_NODE_ARGS="--max-old-space-size=64": a V8 heap too small for any buffered export.
    const nodeArgs = (process.env.BENCH_EXPORT_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const api: BenchChild = startChild(process.execPath, [...nodeArgs, 'dist/api/main.js'], {
      DATABASE_URL: bench.config.db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      PORT: String(port),
      ADMIN_API_KEY: apiKey,
      DATABASE_STATEMENT_TIMEOUT_MS: String(POOL_STATEMENT_TIMEOUT_MS),
    });
    cleanups.push(() => api.stop(15_000));
    const apiUrl = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${apiKey}` };
    await waitFor(
      async () => {
        if (api.hasExited()) throw new Error(`api exited at start:\n${api.tail().join('\n')}`);
        return (await fetch(`${apiUrl}/api/v1/nodes?limit=1`, { headers }).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the API to answer with the admin key' },
    );
    // Warm-up: one small export (code paths loaded, pool connected), then the baseline.
    const warm = await fetch(`${apiUrl}/api/v1/nodes/${node!.nodeId}/readings.csv?from=${new Date(now - 3_600_000).toISOString()}`, { headers });
    if (warm.status !== 200) throw new Error(`warm-up export answered ${warm.status}: ${await warm.text()}`);
    await warm.text();
    const before = await procMemoryMiB(api.pid);

    // The export, RSS sampled throughout.
    let peak = 0;
    const sampler = setInterval(() => {
      void procMemoryMiB(api.pid).then((m) => {
        if (m && m.rss > peak) peak = m.rss;
      });
    }, 50);
    t0 = performance.now();
    const res = await fetch(`${apiUrl}/api/v1/nodes/${node!.nodeId}/readings.csv`, { headers });
    if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    // RSS at each tenth of the rows received: flat means these stay level while the count grows.
    const checkpoints: Array<{ pct: number; rss: number }> = [];
    const exported = await countLines(res.body as unknown as AsyncIterable<Uint8Array>, t0, (records) => {
      const pct = (checkpoints.length + 1) * 10;
      if (pct > 100 || records < (total * pct) / 100) return;
      checkpoints.push({ pct, rss: rssNowMiB(api.pid) });
    });
    clearInterval(sampler);
    const after = await procMemoryMiB(api.pid);
    peak = Math.max(peak, after?.rss ?? 0);
    const exportedRows = exported.rows - 1;

    // The floor: the same rows and order through COPY, read by a bare client.
    const client = new Client({ connectionString: bench.config.db.url });
    await client.connect();
    t0 = performance.now();
    const copy = client.query(
      copyTo(
        `COPY (SELECT recorded_at, channel_epoch_id, entry_id, f1, f2, f3, f4, raw FROM readings WHERE channel_epoch_id = ${epoch.id} ORDER BY recorded_at, channel_epoch_id, entry_id) TO STDOUT (FORMAT csv)`,
      ),
    );
    const floor = await countLines(copy, t0);
    await client.end();

    const rowsPerSec = exportedRows / exported.seconds;
    const floorRowsPerSec = floor.rows / floor.seconds;
    const rows: Row[] = [
      { mode: 'GET /nodes/:id/readings.csv', figure: 'rows, complete', value: `${exportedRows.toLocaleString('en-US')}, ${exported.complete && exportedRows === total ? 'yes' : 'NO'}`, floor: `COPY rows ${floor.rows.toLocaleString('en-US')}` },
      { mode: '', figure: 'seconds', value: fmt(exported.seconds, 2), floor: `COPY ${fmt(floor.seconds, 2)} s` },
      { mode: '', figure: 'rows/s', value: fmt(rowsPerSec, 0), floor: `COPY ${fmt(floorRowsPerSec, 0)} rows/s: ${fmt(floorRowsPerSec / rowsPerSec, 2)}x the API` },
      { mode: '', figure: 'MB sent', value: fmt(exported.bytes / 1e6, 1), floor: `COPY ${fmt(floor.bytes / 1e6, 1)} MB (fewer columns, no parsing)` },
      { mode: 'api process', figure: 'RSS before, MiB', value: fmt(before?.rss, 1) },
      { mode: '', figure: 'peak RSS during export, MiB', value: fmt(peak, 1), floor: `+${fmt(peak - (before?.rss ?? 0), 1)} MiB over before` },
      { mode: '', figure: 'RSS after, MiB', value: fmt(after?.rss, 1) },
      { mode: '', figure: 'RSS at 10 %, 20 %, ... of the rows, MiB', value: checkpoints.map((c) => fmt(c.rss, 0)).join(' ') },
      {
        mode: 'statement timeout',
        figure: `pool DATABASE_STATEMENT_TIMEOUT_MS`,
        value: String(POOL_STATEMENT_TIMEOUT_MS),
        floor: exported.seconds * 1000 > POOL_STATEMENT_TIMEOUT_MS ? 'export outlived it: not cut (EXPORT_TIMEOUT_MS applies)' : 'export was shorter than it: proves nothing here',
      },
    ];
    out();
    printTable(rows);
    out();
    out(
      benchResultLine({
        bench: 'export',
        at: new Date().toISOString(),
        smoke,
        machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
        rows: exportedRows,
        complete: exported.complete && exportedRows === total,
        seconds: exported.seconds,
        rowsPerSec,
        bytes: exported.bytes,
        rssMiB: { before: before?.rss ?? null, peak, after: after?.rss ?? null, byTenthOfRows: checkpoints.map((c) => c.rss) },
        floor: { rows: floor.rows, seconds: floor.seconds, rowsPerSec: floorRowsPerSec, bytes: floor.bytes, ratio: floorRowsPerSec / rowsPerSec },
        poolStatementTimeoutMs: POOL_STATEMENT_TIMEOUT_MS,
        apiNodeArgs: nodeArgs,
        totalSeconds: (performance.now() - startedAt) / 1000,
      }),
    );
    if (!(exported.complete && exportedRows === total)) process.exitCode = 1;
  } finally {
    await closeAll();
  }
}

let closeAll: () => Promise<void> = async () => undefined;
runBenchMain(main, () => closeAll());

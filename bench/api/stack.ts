/**
 * Everything the API bench runs against: a throwaway database `evara_bench_api` with the fleet
 * seeded (and a few readings a node), Redis keys under `benchapi-<pid>:`, the ThingSpeak simulator
 * in this process, the compiled API as a child (NODE_ENV=production, generated keys), optionally
 * one worker child ingesting, and a bare `http` floor server child. `close()` undoes all of it,
 * newest first, also after a failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import IORedis from 'ioredis';
import { openBenchDatabase } from '../bench-database';
import { deleteKeysByPrefix } from '../poll/harness';
import { freePort, startChild, type BenchChild } from '../poll/child-process';
import { seedFleet, type FleetChannel } from '../poll/seed-fleet';
import { createSimChannels } from '../poll/simulator-fleet';
import { startPollWorker, type PollWorker } from '../poll/worker-process';
import type { Db } from '../../src/shared/db/knex';
import { insertReadings, type ReadingToStore } from '../../src/shared/readings/reading-writer';
import { createThingSpeakSimulator, type ThingSpeakSimulator } from '../../src/simulator/thingspeak-simulator';
import { waitFor } from '../../test/helpers/wait-for';
import type { ApiBenchOptions } from './options';
import type { LoadConfig, LoadResult } from './load-mix';

export const DB_NAME = 'evara_bench_api';
const TSX = [process.execPath, '--import', 'tsx'] as const;

export interface ApiStack {
  db: Db;
  fleet: FleetChannel[];
  prefix: string;
  apiUrl: string;
  apiKey: string;
  api: BenchChild;
  floorUrl: string;
  floorPid: number;
  worker?: PollWorker;
  readingsStored: number;
  /** Runs the load process with this config; returns its result. */
  load(cfg: LoadConfig): Promise<LoadResult>;
  close(): Promise<void>;
}

const openClosers = new Set<() => Promise<void>>();

/** For a signal handler: undoes every stack still open. */
export async function closeOpenStacks(): Promise<void> {
  for (const close of [...openClosers]) await close();
}

/** The oldest `perNode` simulator entries of every channel, stored as the worker would store them. */
async function storeReadings(db: Db, sim: ThingSpeakSimulator, fleet: readonly FleetChannel[], perNode: number): Promise<number> {
  const epochs = (await db('channel_epochs').select('id', 'node_channel_id').where({ epoch: 0 })) as Array<{ id: number; node_channel_id: string }>;
  const epochOf = new Map(epochs.map((e) => [e.node_channel_id, e.id]));
  let stored = 0;
  let batch: ReadingToStore[] = [];
  for (const f of fleet) {
    const epoch = epochOf.get(f.nodeChannelId);
    if (epoch === undefined) throw new Error(`no channel epoch for ${f.nodeChannelId}`);
    for (const e of sim.entries(f.channelId).slice(0, perNode)) batch.push({ channelEpochId: epoch, entryId: e.entryId, recordedAt: e.createdAt, fields: e.fields });
    if (batch.length >= 10_000) {
      stored += (await insertReadings(db, batch)).length;
      batch = [];
    }
  }
  if (batch.length > 0) stored += (await insertReadings(db, batch)).length;
  return stored;
}

export async function openApiStack(opts: ApiBenchOptions, log: (line: string) => void): Promise<ApiStack> {
  const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
  const defer = (name: string, run: () => Promise<unknown>) => cleanups.push({ name, run });
  // Idempotent: a second caller (Ctrl-C during the normal close) waits for the same cleanup.
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const c of cleanups.splice(0).reverse()) {
        await c.run().catch((err: unknown) => process.stderr.write(`cleanup "${c.name}" failed: ${(err as Error).message}\n`));
      }
      openClosers.delete(close);
    })());
  openClosers.add(close);

  try {
    const bench = await openBenchDatabase(DB_NAME);
    defer('drop database', () => bench.drop());
    const db = bench.db;

    const prefix = `benchapi-${process.pid}`;
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    defer('redis keys', async () => {
      await deleteKeysByPrefix(redis, prefix);
      redis.disconnect();
    });

    const sim = createThingSpeakSimulator();
    const { url: simUrl } = await sim.listen(0);
    defer('simulator', () => sim.close());

    const tmp = await mkdtemp(path.join(os.tmpdir(), 'benchapi-'));
    defer('temp dir', () => rm(tmp, { recursive: true, force: true }));

    let t0 = performance.now();
    const channelIds = createSimChannels(sim, opts.nodes, opts.historyEntries);
    const fleet = await seedFleet(db, { channels: channelIds });
    const readingsStored = await storeReadings(db, sim, fleet, opts.readingsPerNode);
    await db.raw('ANALYZE');
    log(`seeded ${fleet.length} nodes and ${readingsStored} readings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const apiKey = `benchapi_${randomBytes(24).toString('hex')}`;
    const encryptionKey = randomBytes(32).toString('base64');
    const common = { DATABASE_URL: bench.config.db.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, THINGSPEAK_BASE_URL: simUrl, ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'warn' };

    // The API, compiled, as Render runs it.
    t0 = performance.now();
    const apiPort = await freePort();
    // BENCH_API_CPU_PROF=<dir> writes a V8 CPU profile of the API (Node refuses --cpu-prof in NODE_OPTIONS).
    const profile = process.env.BENCH_API_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_API_CPU_PROF}`] : [];
    // BENCH_API_ENV_<NAME>=value passes a setting to the API (BENCH_API_ENV_DATABASE_POOL_MAX=20).
    const overrides = Object.fromEntries(
      Object.entries(process.env)
        .filter(([k, v]) => k.startsWith('BENCH_API_ENV_') && v !== undefined)
        .map(([k, v]) => [k.slice('BENCH_API_ENV_'.length), v!]),
    );
    const api = startChild(process.execPath, [...profile, 'dist/api/main.js'], {
      ...common,
      NODE_ENV: 'production',
      PORT: String(apiPort),
      ADMIN_API_KEY: apiKey,
      // One key from one address at 500 req/s is 30,000 a minute: quotas far above it keep the rate
      // limiters in the measured path (their Redis round trips count) without refusing anything.
      RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
      RATE_LIMIT_PER_KEY_PER_MINUTE: '10000000',
      ...overrides,
    });
    defer('api', () => api.stop(15_000));
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    // Ready once the bootstrap admin key answers (it is stored in the background after start).
    await waitFor(
      async () => {
        if (api.hasExited()) throw new Error(`api exited at start:\n${api.tail().join('\n')}`);
        const res = await fetch(`${apiUrl}/api/v1/nodes?limit=1`, { headers: { authorization: `Bearer ${apiKey}` } }).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the API to answer with the admin key' },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\napi output:\n${api.tail().join('\n')}`);
    });
    log(`api pid ${api.pid} on :${apiPort} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    let worker: PollWorker | undefined;
    if (opts.worker) {
      worker = await startPollWorker({
        databaseUrl: bench.config.db.url,
        redisUrl,
        queuePrefix: prefix,
        thingspeakBaseUrl: simUrl,
        queues: 'poll,poll-control',
        env: { POLL_INTERVAL_MS: '60000', ENCRYPTION_KEY: encryptionKey },
        overrides: {},
      });
      defer('worker', () => worker!.stop());
      log(`worker pid ${worker.process.pid} ingesting (poll,poll-control, 60 s interval)`);
    }

    const floorPort = await freePort();
    const floor = startChild(TSX[0], [...TSX.slice(1), 'bench/api/floor-server.ts'], { PORT: String(floorPort) });
    defer('floor server', () => floor.stop(5_000));
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    await waitFor(
      async () => {
        if (floor.hasExited()) throw new Error(`floor server exited:\n${floor.tail().join('\n')}`);
        return (await fetch(floorUrl).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the floor server' },
    );

    let loads = 0;
    const load = async (cfg: LoadConfig): Promise<LoadResult> => {
      const file = path.join(tmp, `load-${(loads += 1)}.json`);
      await writeFile(file, JSON.stringify(cfg));
      const outFile = `${file}.result`;
      const child = startChild(TSX[0], [...TSX.slice(1), 'bench/api/load.ts', file, outFile], {});
      openLoads.add(child);
      try {
        const code = await child.exited;
        if (code !== 0) throw new Error(`load process exited ${code}:\n${child.tail().join('\n')}`);
        return JSON.parse(await readFile(outFile, 'utf8')) as LoadResult;
      } finally {
        openLoads.delete(child);
      }
    };
    const openLoads = new Set<BenchChild>();
    defer('load processes', () => Promise.all([...openLoads].map((c) => c.stop(5_000))));

    return { db, fleet, prefix, apiUrl, apiKey, api, floorUrl, floorPid: floor.pid, worker, readingsStored, load, close };
  } catch (err) {
    await close();
    throw err;
  }
}

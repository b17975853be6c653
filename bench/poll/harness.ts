import IORedis, { type Redis } from 'ioredis';
import { openBenchDatabase } from '../bench-database';
import { loadConfig, type Config } from '../../src/shared/config';
import type { Db } from '../../src/shared/db/knex';
import { createLogger } from '../../src/shared/logger';
import { createQueues, type Queues } from '../../src/shared/queues/queues';
import { createProducers, type Producers } from '../../src/shared/queues/producers';
import { createThingSpeakSimulator, type ThingSpeakSimulator } from '../../src/simulator/thingspeak-simulator';
import { startPgCountingProxyProcess, type PgCountingProxyProcess } from './pg-counting-proxy-process';

export const DB_NAME = 'evara_bench_poll';

/**
 * Everything one mode needs around the worker under test: a fresh database (direct for the
 * bench, through the counting proxy, a process of its own, for the worker), a Redis prefix of its own, the real queues
 * and producers on it, and the simulator in this process. `close()` undoes all of it, also after
 * a failure; cleanups registered with `defer` run first, newest first.
 */
export interface Harness {
  db: Db;
  config: Config;
  redis: Redis;
  redisUrl: string;
  prefix: string;
  queues: Queues;
  producers: Producers;
  sim: ThingSpeakSimulator;
  simUrl: string;
  proxy: PgCountingProxyProcess;
  /** DATABASE_URL for the worker: the bench database through the counting proxy. */
  proxiedDatabaseUrl: string;
  defer(name: string, cleanup: () => Promise<unknown>): void;
  close(): Promise<void>;
}

/** Deletes every key under `prefix:` with SCAN (never KEYS on a shared Redis). */
export async function deleteKeysByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

const openClosers = new Set<() => Promise<void>>();

/** For a signal handler: undoes every harness still open (children, database, Redis keys). */
export async function closeOpenHarnesses(): Promise<void> {
  for (const close of [...openClosers]) await close();
}

export async function openHarness(tag: string): Promise<Harness> {
  const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
  const defer = (name: string, run: () => Promise<unknown>) => cleanups.push({ name, run });
  const close = async () => {
    openClosers.delete(close);
    const pending = cleanups.splice(0).reverse();
    for (const c of pending) {
      await c.run().catch((err: unknown) => process.stderr.write(`cleanup "${c.name}" failed: ${(err as Error).message}\n`));
    }
  };
  openClosers.add(close);

  try {
    const bench = await openBenchDatabase(DB_NAME);
    defer('drop database', () => bench.drop());

    const prefix = `benchpoll-${process.pid}-${tag}`;
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    defer('redis keys', async () => {
      await deleteKeysByPrefix(redis, prefix);
      redis.disconnect();
    });

    const dbUrl = new URL(bench.config.db.url);
    const proxy = await startPgCountingProxyProcess({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
    defer('pg proxy', () => proxy.close());
    const proxied = new URL(bench.config.db.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);

    const config = loadConfig({ ...process.env, DATABASE_URL: bench.config.db.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, NODE_ENV: 'development', LOG_LEVEL: 'warn' }, 'tool');
    const queues = createQueues(config, redis, createLogger({ service: 'bench', version: 'bench', level: 'warn' }));
    defer('queues', () => queues.close());

    const sim = createThingSpeakSimulator();
    const { url: simUrl } = await sim.listen(0);
    defer('simulator', () => sim.close());

    return {
      db: bench.db,
      config,
      redis,
      redisUrl,
      prefix,
      queues,
      producers: createProducers(queues),
      sim,
      simUrl,
      proxy,
      proxiedDatabaseUrl: proxied.toString(),
      defer,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

import type { Db } from './knex';
import { openProbeDb } from './probe-db';
import { isPoolWaitTimeout } from './db-errors';

/** What a pool-wait timeout turned out to be. */
export type PoolWaitVerdict = 'busy' | 'unavailable';

export interface PoolPressureOptions {
  /** A query that succeeded this recently proves the server answers (no need to ask). */
  recentSuccessMs: number;
  /** Deadline of the `select 1` on the reserved connection. */
  probeTimeoutMs: number;
  /** One probe answer serves every timeout within this window (a burst of 200 polls asks once). */
  probeCacheMs: number;
  now?: () => number;
}

export interface PoolPressure {
  /**
   * Busy or unavailable, for an error that means "the database cannot be reached". Only a pool-wait
   * timeout can be busy, and only when the server still answers: a query succeeded recently, or a
   * `select 1` on a reserved connection (outside the full pool) answers.
   */
  classify(err: unknown): Promise<PoolWaitVerdict>;
  /** `select 1` on the reserved connection (answers shared for probeCacheMs). */
  serverAnswers(): Promise<boolean>;
  /** Time of the last query that succeeded on the pool (ms), 0 before the first. */
  lastSuccessAt(): number;
  close(): Promise<void>;
}

export const DEFAULT_POOL_PRESSURE: PoolPressureOptions = { recentSuccessMs: 2_000, probeTimeoutMs: 2_000, probeCacheMs: 1_000 };

/**
 * Tells a full pool from a dead database. knex says "Timeout acquiring a connection" in both
 * cases (while the server is down, creating a connection keeps failing until the acquire deadline),
 * so the verdict comes from the server itself, asked on a connection of its own that the busy pool
 * cannot hold. The reserved connection opens only when needed and closes when idle.
 */
export function createPoolPressure(db: Db, target: { connectionString: string; ssl: unknown }, applicationName: string, opts: PoolPressureOptions = DEFAULT_POOL_PRESSURE): PoolPressure {
  const now = opts.now ?? (() => Date.now());
  let lastSuccess = 0;
  db.on('query-response', () => {
    lastSuccess = now();
  });
  let reserved: Db | undefined;
  let probe: { at: number; answer: Promise<boolean> } | undefined;
  let closed = false;

  function serverAnswers(): Promise<boolean> {
    // After close (a job that outlived its worker's shutdown) no new connection is opened.
    if (closed) return Promise.resolve(false);
    if (probe && now() - probe.at < opts.probeCacheMs) return probe.answer;
    reserved ??= openProbeDb(target, opts.probeTimeoutMs, `${applicationName}-reserved`);
    const answer = reserved.raw('select 1').then(() => true, () => false);
    probe = { at: now(), answer };
    return answer;
  }

  return {
    async classify(err) {
      if (!isPoolWaitTimeout(err)) return 'unavailable';
      if (lastSuccess > 0 && now() - lastSuccess <= opts.recentSuccessMs) return 'busy';
      return (await serverAnswers()) ? 'busy' : 'unavailable';
    },
    serverAnswers,
    lastSuccessAt: () => lastSuccess,
    async close() {
      closed = true;
      await reserved?.destroy().catch(() => undefined);
      reserved = undefined;
    },
  };
}

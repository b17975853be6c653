import type { Redis } from 'ioredis';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import { tryLock } from '../locks/redis-lock';
import { applyRetention, type RetentionPolicy, type RetentionReport } from './retention.repository';

export interface RetentionDeps {
  db: Db;
  redis: Redis;
  /** Names the lock: `${prefix}:lock:retention`. */
  prefix: string;
  lockMs: number;
  policy: RetentionPolicy;
}

/**
 * The daily retention run, under a lock: the scheduler fires one job a day, but a job started by
 * hand or re-run after a lost job lock could overlap it, and two runs would fight over the same
 * rows for nothing. A batch that already ran stays done, so a retry only does what is left.
 */
export async function runRetention(deps: RetentionDeps, log: Logger): Promise<(RetentionReport & { durationMs: number }) | { skipped: string }> {
  const lock = await tryLock(deps.redis, `${deps.prefix}:lock:retention`, deps.lockMs);
  if (!lock) {
    log.info('retention is already running in another job: skipped');
    return { skipped: 'retention already running' };
  }
  try {
    const startedAt = Date.now();
    const report = await applyRetention(deps.db, deps.policy, new Date(startedAt));
    const durationMs = Date.now() - startedAt;
    const deleted = Object.fromEntries(Object.entries(report).map(([table, r]) => [table, r.deleted]));
    const batches = Object.fromEntries(Object.entries(report).map(([table, r]) => [table, r.batches]));
    const maxBatchMs = Math.max(...Object.values(report).map((r) => r.maxBatchMs));
    log.info({ deleted, batches, maxBatchMs, partitionsDropped: report.readings.partitionsDropped, durationMs, policy: deps.policy }, 'retention applied');
    return { ...report, durationMs };
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err }, 'retention lock release failed'));
  }
}

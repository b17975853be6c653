import type { Core } from '../shared/core';
import { tryLock } from '../shared/locks/redis-lock';
import { applyRetention } from '../shared/retention/retention.repository';
import type { Processor } from './handlers';

/**
 * Daily deletion of data past its retention (config.retention). Errors are left to the queue's
 * retries with backoff: a batch that already ran stays done, so a retry only does what is left.
 */
export function createApplyRetentionProcessor(core: Core): Processor<'apply-retention'> {
  const lockKey = `${core.config.queues.prefix}:lock:retention`;
  return async (_data, { log }) => {
    // The scheduler fires one job a day, but a job started by hand or re-run after a lost job lock
    // could overlap it; two runs would fight over the same rows for nothing.
    const lock = await tryLock(core.redis, lockKey, core.config.worker.lockMs);
    if (!lock) {
      log.info('retention is already running in another job: skipped');
      return { skipped: 'retention already running' };
    }
    try {
      const startedAt = Date.now();
      const report = await applyRetention(core.db, core.config.retention, new Date(startedAt));
      const durationMs = Date.now() - startedAt;
      const deleted = Object.fromEntries(Object.entries(report).map(([table, r]) => [table, r.deleted]));
      const batches = Object.fromEntries(Object.entries(report).map(([table, r]) => [table, r.batches]));
      const maxBatchMs = Math.max(...Object.values(report).map((r) => r.maxBatchMs));
      log.info({ deleted, batches, maxBatchMs, durationMs, policy: core.config.retention }, 'retention applied');
      return { ...report, durationMs };
    } finally {
      await lock.release().catch((err: unknown) => log.warn({ err }, 'retention lock release failed'));
    }
  };
}

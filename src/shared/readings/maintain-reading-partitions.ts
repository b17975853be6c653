import type { Redis } from 'ioredis';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import { tryLock } from '../locks/redis-lock';
import { compactReadingPartitions } from './reading-partition-compaction';
import { ensureReadingPartitions, type PartitionWindow } from './reading-partitions';

export interface PartitionMaintenanceDeps {
  db: Db;
  redis: Redis;
  /** Names the lock: `${prefix}:lock:reading-partitions`. */
  prefix: string;
  lockMs: number;
  window: PartitionWindow;
}

/** Days after today that get their partition ahead of their data. */
const DAYS_AHEAD = 7;
/** Past days created when missing (a fresh database, a worker down for days) are bounded: older back-dated rows go to the default partition. */
const MAX_DAYS_BACK = 31;

/** Every day still inside the readings retention has its own partition (up to a month back), and the week ahead. */
export function partitionWindow(readingsDays: number): PartitionWindow {
  return { daysBack: Math.min(readingsDays, MAX_DAYS_BACK), daysAhead: DAYS_AHEAD };
}

export type PartitionMaintenanceResult = { created: string[]; movedRows: number; compacted: string[]; durationMs: number } | { skipped: string };

/**
 * The hourly `ensure-partitions` job (and once when a maintenance worker starts): day partitions
 * exist before their data arrives, and finished days get a packed index. Under a lock, because an
 * index rebuild interrupted by a second run would leave an invalid copy behind.
 */
export async function maintainReadingPartitions(deps: PartitionMaintenanceDeps, log: Logger, now = new Date()): Promise<PartitionMaintenanceResult> {
  const lock = await tryLock(deps.redis, `${deps.prefix}:lock:reading-partitions`, deps.lockMs);
  if (!lock) {
    log.info('reading partitions are being maintained by another job: skipped');
    return { skipped: 'partition maintenance already running' };
  }
  try {
    const startedAt = Date.now();
    const ensured = await ensureReadingPartitions(deps.db, now, deps.window);
    const compacted = await compactReadingPartitions(deps.db, now);
    const durationMs = Date.now() - startedAt;
    if (ensured.created.length > 0 || compacted.length > 0) log.info({ ...ensured, compacted, durationMs }, 'reading partitions maintained');
    return { ...ensured, compacted, durationMs };
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err }, 'partition maintenance lock release failed'));
  }
}

import type { Db } from '../db/knex';
import { dropExpiredReadingPartitions } from '../readings/reading-partitions';
import { retentionCutoffs, type RetentionDays } from './retention-cutoffs';

export interface RetentionPolicy extends RetentionDays {
  /** Rows per DELETE statement. */
  batchSize: number;
}

export interface TableRetention {
  deleted: number;
  /** DELETE statements run, including the last one that found fewer than a batch. */
  batches: number;
  /** Longest single statement: how long the table's rows were locked at most. */
  maxBatchMs: number;
}

export const RETENTION_TABLES = ['notifications', 'alerts', 'readings', 'audit_log', 'reading_rollups'] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

export interface ReadingsRetention extends TableRetention {
  /** Whole days dropped at once (their rows are not in `deleted`, which counts DELETE statements' rows). */
  partitionsDropped: number;
}

export type RetentionReport = Record<Exclude<RetentionTable, 'readings'>, TableRetention> & { readings: ReadingsRetention };

interface BatchedDelete {
  /** The table (or partition) rows are deleted from. Names only, never input. */
  table: string;
  /** What identifies a row in `table`: its id, or ctid for a readings partition (a plain table, where ctid is unique). */
  key: 'id' | 'ctid';
  /** Selects the expired rows; `?` is the cutoff. Column names only, never input. */
  expired: string;
  /** Oldest first, along the index the condition uses; none where there is no such index. */
  orderBy?: string;
  cutoff: Date;
}

/**
 * Deletes rows past their retention in batches of `batchSize`, each batch its own short
 * autocommit statement, so row locks and WAL bursts stay small and pollers keep writing meanwhile.
 * A table is done when a batch deletes fewer rows than asked for. Readings go mostly by whole day
 * partitions; only the default partition and the day the cutoff falls in are deleted row by row.
 */
export async function applyRetention(db: Db, policy: RetentionPolicy, now: Date): Promise<RetentionReport> {
  const cutoffs = retentionCutoffs(now, policy);
  const batched = (step: Omit<BatchedDelete, 'key'>) => deleteInBatches(db, { ...step, key: 'id' }, policy.batchSize);
  // Notifications go before alerts: each alert deleted sets alert_id to null in the notifications
  // that still point at it, so fewer notifications left means less work per alert.
  const notifications = await batched({ table: 'notifications', expired: `status IN ('delivered', 'failed') AND created_at < ?`, orderBy: 'created_at', cutoff: cutoffs.alerts });
  // Open and acknowledged alerts are kept however old: someone still has to act on them.
  const alerts = await batched({ table: 'alerts', expired: `status = 'resolved' AND resolved_at < ?`, orderBy: 'resolved_at', cutoff: cutoffs.alerts });
  const readings = await expireReadings(db, cutoffs.readings, policy.batchSize);
  const audit = await batched({ table: 'audit_log', expired: 'at < ?', orderBy: 'at', cutoff: cutoffs.audit });
  // Rollups outlive raw readings: days for RETENTION_ROLLUPS_DAYS, hours for the shorter
  // RETENTION_HOURLY_ROLLUPS_DAYS (24 times the rows); a bucket goes by its start.
  const rollupsOf = (bucket: '1h' | '1d', cutoff: Date) =>
    deleteInBatches(db, { table: 'reading_rollups', key: 'ctid', expired: `bucket = '${bucket}' AND bucket_start < ?`, orderBy: 'bucket_start', cutoff }, policy.batchSize);
  const hours = await rollupsOf('1h', cutoffs.hourlyRollups);
  const days = await rollupsOf('1d', cutoffs.rollups);
  const rollups: TableRetention = { deleted: hours.deleted + days.deleted, batches: hours.batches + days.batches, maxBatchMs: Math.max(hours.maxBatchMs, days.maxBatchMs) };
  return { notifications, alerts, readings, audit_log: audit, reading_rollups: rollups };
}

async function expireReadings(db: Db, cutoff: Date, batchSize: number): Promise<ReadingsRetention> {
  const { dropped, remainder } = await dropExpiredReadingPartitions(db, cutoff);
  const result: ReadingsRetention = { deleted: 0, batches: 0, maxBatchMs: 0, partitionsDropped: dropped.length };
  for (const partition of remainder) {
    const part = await deleteInBatches(db, { table: partition, key: 'ctid', expired: 'recorded_at < ?', cutoff }, batchSize);
    result.deleted += part.deleted;
    result.batches += part.batches;
    result.maxBatchMs = Math.max(result.maxBatchMs, part.maxBatchMs);
  }
  return result;
}

function batchSql(step: BatchedDelete): string {
  const order = step.orderBy ? ` ORDER BY ${step.orderBy}` : '';
  const expired = `SELECT ${step.key} FROM ${step.table} WHERE ${step.expired}${order} LIMIT ?`;
  // = ANY(ARRAY(...)) makes a TID scan of the batch's rows; IN (SELECT ctid ...) would scan the table again.
  return step.key === 'ctid' ? `DELETE FROM ${step.table} WHERE ctid = ANY(ARRAY(${expired}))` : `DELETE FROM ${step.table} WHERE id IN (${expired})`;
}

async function deleteInBatches(db: Db, step: BatchedDelete, batchSize: number): Promise<TableRetention> {
  const sql = batchSql(step);
  const result: TableRetention = { deleted: 0, batches: 0, maxBatchMs: 0 };
  for (;;) {
    const startedAt = performance.now();
    // pg's result of a DELETE: the row count, no rows.
    const { rowCount }: { rowCount: number | null } = await db.raw(sql, [step.cutoff, batchSize]);
    const deleted = rowCount ?? 0;
    result.batches += 1;
    result.deleted += deleted;
    result.maxBatchMs = Math.max(result.maxBatchMs, Math.round(performance.now() - startedAt));
    if (deleted < batchSize) return result;
  }
}

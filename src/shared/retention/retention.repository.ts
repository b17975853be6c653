import type { Db } from '../db/knex';
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

export const RETENTION_TABLES = ['notifications', 'alerts', 'readings', 'audit_log'] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];
export type RetentionReport = Record<RetentionTable, TableRetention>;

interface BatchedDelete {
  table: RetentionTable;
  /** Selects the expired rows; `?` is the cutoff. Column names only, never input. */
  expired: string;
  /** Oldest first, along the index the condition uses. */
  orderBy: string;
  cutoff: Date;
}

/**
 * Deletes rows past their retention in batches of `batchSize`, each batch its own short
 * autocommit statement, so row locks and WAL bursts stay small and pollers keep writing meanwhile.
 * A table is done when a batch deletes fewer rows than asked for.
 */
export async function applyRetention(db: Db, policy: RetentionPolicy, now: Date): Promise<RetentionReport> {
  const cutoffs = retentionCutoffs(now, policy);
  // Notifications go before alerts: each alert deleted sets alert_id to null in the notifications
  // that still point at it, so fewer notifications left means less work per alert.
  const plan: BatchedDelete[] = [
    { table: 'notifications', expired: `status IN ('delivered', 'failed') AND created_at < ?`, orderBy: 'created_at', cutoff: cutoffs.alerts },
    // Open and acknowledged alerts are kept however old: someone still has to act on them.
    { table: 'alerts', expired: `status = 'resolved' AND resolved_at < ?`, orderBy: 'resolved_at', cutoff: cutoffs.alerts },
    { table: 'readings', expired: 'recorded_at < ?', orderBy: 'recorded_at', cutoff: cutoffs.readings },
    { table: 'audit_log', expired: 'at < ?', orderBy: 'at', cutoff: cutoffs.audit },
  ];
  const report = {} as RetentionReport;
  for (const step of plan) report[step.table] = await deleteInBatches(db, step, policy.batchSize);
  return report;
}

async function deleteInBatches(db: Db, step: BatchedDelete, batchSize: number): Promise<TableRetention> {
  const sql = `DELETE FROM ${step.table} WHERE id IN (SELECT id FROM ${step.table} WHERE ${step.expired} ORDER BY ${step.orderBy} LIMIT ?)`;
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

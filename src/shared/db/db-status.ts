import type { Db } from './knex';
import { readMigrationState } from './migrate';

/** Connections of knex's (tarn) pool right now. */
export interface PoolStats {
  inUse: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** Connections being opened. */
  creating: number;
  min: number;
  max: number;
}

export interface TableEstimate {
  table: string;
  /** The statistics collector's live-row count, or the planner's estimate before the first one. */
  estimatedRows: number;
}

export interface DbStatus {
  connected: true;
  /** Round trip of `select 1`, including waiting for a pooled connection. */
  latencyMs: number;
  database: string;
  serverVersion: string;
  migrations: { applied: string[]; pending: string[]; upToDate: boolean };
  tables: TableEstimate[];
  pool: PoolStats;
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  min: number;
  max: number;
}

/** What knex's tarn pool tells about itself (all zero after destroy() or with a foreign pool). */
export function poolStats(db: Db): PoolStats {
  const pool = (db.client as { pool?: Partial<TarnPool> }).pool as TarnPool | undefined;
  if (!pool || typeof pool.numUsed !== 'function') return { inUse: 0, idle: 0, waiting: 0, creating: 0, min: 0, max: 0 };
  return { inUse: pool.numUsed(), idle: pool.numFree(), waiting: pool.numPendingAcquires(), creating: pool.numPendingCreates(), min: pool.min, max: pool.max };
}

/**
 * Exact counts would scan every table; pg's statistics are free and close enough for a status page.
 * A partitioned table (readings) is one entry with the sum of its partitions, which are not listed.
 */
async function tableEstimates(db: Db): Promise<TableEstimate[]> {
  const { rows } = await db.raw<{ rows: Array<{ table: string; rows: number }> }>(`
    with est as (
      -- reltuples is -1 until the table is first vacuumed or analysed.
      select c.oid, coalesce(s.n_live_tup::float8, greatest(c.reltuples, 0)::float8) as rows
      from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
    )
    select c.relname as table,
           case when c.relkind = 'p'
                then (select coalesce(sum(e.rows), 0) from pg_inherits i join est e on e.oid = i.inhrelid where i.inhparent = c.oid)
                else (select e.rows from est e where e.oid = c.oid) end as rows
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition
    order by c.relname`);
  return rows.map((r) => ({ table: r.table, estimatedRows: Math.round(Number(r.rows)) }));
}

async function migrationState(db: Db): Promise<DbStatus['migrations']> {
  const { applied, pending } = await readMigrationState(db);
  return { applied, pending, upToDate: pending.length === 0 };
}

/**
 * What GET /api/v1/debug/db-status reports. Throws the driver's error when the database cannot be
 * reached, so callers map it like any other outage (503).
 */
export async function readDbStatus(db: Db): Promise<DbStatus> {
  const started = performance.now();
  await db.raw('select 1');
  const latencyMs = Math.round((performance.now() - started) * 100) / 100;
  const [identity, migrations, tables] = await Promise.all([
    db.raw<{ rows: Array<{ database: string; version: string }> }>('select current_database() as database, current_setting(\'server_version\') as version'),
    migrationState(db),
    tableEstimates(db),
  ]);
  const row = identity.rows[0]!;
  return { connected: true, latencyMs, database: row.database, serverVersion: row.version, migrations, tables, pool: poolStats(db) };
}

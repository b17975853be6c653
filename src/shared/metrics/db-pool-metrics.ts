import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/knex';

/** What knex's tarn pool tells about itself; read structurally (knex types the pool loosely). */
interface TarnPoolStats {
  max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

function poolOf(db: Db): TarnPoolStats | undefined {
  const pool = (db.client as { pool?: Partial<TarnPoolStats> }).pool;
  // Absent after destroy(); another shape if knex was ever given an external pool.
  return pool && typeof pool.numUsed === 'function' ? (pool as TarnPoolStats) : undefined;
}

/**
 * This process's database pool, read when scraped: `evara_db_pool_connections{state}` (in_use,
 * idle, creating), `evara_db_pool_pending_acquires` (callers waiting for a connection),
 * `evara_db_pool_max_connections` and `evara_db_pool_utilization_ratio` (in use / max).
 */
export function registerDbPoolMetrics(registry: Registry, db: Db): void {
  new Gauge({
    name: 'evara_db_pool_connections',
    help: 'Database pool connections of this process by state (in_use, idle, creating)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = poolOf(db);
      this.set({ state: 'in_use' }, pool?.numUsed() ?? 0);
      this.set({ state: 'idle' }, pool?.numFree() ?? 0);
      this.set({ state: 'creating' }, pool?.numPendingCreates() ?? 0);
    },
  });
  new Gauge({
    name: 'evara_db_pool_pending_acquires',
    help: 'Queries of this process waiting for a pooled database connection',
    registers: [registry],
    collect() {
      this.set(poolOf(db)?.numPendingAcquires() ?? 0);
    },
  });
  new Gauge({
    name: 'evara_db_pool_max_connections',
    help: 'Largest number of connections the database pool of this process may open (DATABASE_POOL_MAX)',
    registers: [registry],
    collect() {
      this.set(poolOf(db)?.max ?? 0);
    },
  });
  new Gauge({
    name: 'evara_db_pool_utilization_ratio',
    help: 'Connections in use divided by the pool maximum, for this process (1 = saturated)',
    registers: [registry],
    collect() {
      const pool = poolOf(db);
      this.set(pool && pool.max > 0 ? pool.numUsed() / pool.max : 0);
    },
  });
}

import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/knex';
import { poolStats } from '../db/db-status';

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
      const pool = poolStats(db);
      this.set({ state: 'in_use' }, pool.inUse);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'creating' }, pool.creating);
    },
  });
  new Gauge({
    name: 'evara_db_pool_pending_acquires',
    help: 'Queries of this process waiting for a pooled database connection',
    registers: [registry],
    collect() {
      this.set(poolStats(db).waiting);
    },
  });
  new Gauge({
    name: 'evara_db_pool_max_connections',
    help: 'Largest number of connections the database pool of this process may open (DATABASE_POOL_MAX)',
    registers: [registry],
    collect() {
      this.set(poolStats(db).max);
    },
  });
  new Gauge({
    name: 'evara_db_pool_utilization_ratio',
    help: 'Connections in use divided by the pool maximum, for this process (1 = saturated)',
    registers: [registry],
    collect() {
      const pool = poolStats(db);
      this.set(pool.max > 0 ? pool.inUse / pool.max : 0);
    },
  });
}

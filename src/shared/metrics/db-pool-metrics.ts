import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '../db/knex';
import { poolStats } from '../db/db-status';

/**
 * This process's database pool, read when scraped: `evara_db_pool_connections{state}` (in_use,
 * idle, creating), `evara_db_pool_pending_acquires` (callers waiting for a connection),
 * `evara_db_pool_max_connections` and `evara_db_pool_utilization_ratio` (in use / max); and, as
 * it happens, `evara_db_pool_wait_seconds{outcome}`: how long each query waited for a connection.
 */
export function registerDbPoolMetrics(registry: Registry, db: Db): void {
  registerPoolWaitHistogram(registry, db);
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

interface TarnEvents {
  on(event: 'acquireRequest', fn: (eventId: number) => void): void;
  on(event: 'acquireSuccess' | 'acquireFail', fn: (eventId: number) => void): void;
}

/**
 * `evara_db_pool_wait_seconds{outcome}` from the pool's own acquire events: `acquired`, or `failed`
 * (the acquire timeout, or no connection could be opened). A full pool shows as waits growing
 * towards the acquire timeout long before any fails.
 */
function registerPoolWaitHistogram(registry: Registry, db: Db): void {
  const waits = new Histogram({
    name: 'evara_db_pool_wait_seconds',
    help: 'Time queries of this process waited for a pooled database connection, by outcome (acquired, failed)',
    labelNames: ['outcome'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  for (const outcome of ['acquired', 'failed']) waits.zero({ outcome });
  const pool = (db.client as { pool?: Partial<TarnEvents> }).pool;
  if (!pool || typeof pool.on !== 'function') return;
  const started = new Map<number, number>();
  const observe = (eventId: number, outcome: 'acquired' | 'failed') => {
    const at = started.get(eventId);
    if (at === undefined) return;
    started.delete(eventId);
    waits.observe({ outcome }, (performance.now() - at) / 1000);
  };
  pool.on('acquireRequest', (eventId) => started.set(eventId, performance.now()));
  pool.on('acquireSuccess', (eventId) => observe(eventId, 'acquired'));
  pool.on('acquireFail', (eventId) => observe(eventId, 'failed'));
}

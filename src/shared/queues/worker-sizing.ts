import type { QueueName } from './queue-names';

/**
 * How much a worker process runs at once per queue, and the database connections that takes.
 * Kept together so the pool default always covers the concurrency: a job that waits for a pool
 * connection until "Timeout acquiring a connection" looks like a database outage to the breaker.
 */

/** Jobs at once per queue besides `poll` (POLL_CONCURRENCY): small, each job holds a connection. */
export const QUEUE_CONCURRENCY: Record<Exclude<QueueName, 'poll'>, number> = {
  'poll-control': 1,
  alerts: 5,
  notifications: 5,
  maintenance: 1,
};

/**
 * Poll jobs do not hold a connection while they wait for ThingSpeak: target reads, commits and
 * evaluation hand-offs are batched, each kind with this many batches in flight (poll-batches.ts).
 * So the poll queue's connections do not grow with POLL_CONCURRENCY.
 */
export const POLL_BATCHES_IN_FLIGHT = 2;
const POLL_BATCH_KINDS = 3;
/** Paged history imports at once per process; each commits its pages in transactions of their own, two at a time. */
export const PAGED_IMPORTS_AT_ONCE = 2;
const PAGE_TRANSACTIONS_PER_IMPORT = 2;
// Failure bookkeeping (a ThingSpeak error is recorded per poll) and the rare stored-times lookup.
const POLL_UNBATCHED_CONNECTIONS = 4;
// The breaker's probe and the tick's channel list.
const PROCESS_CONNECTIONS = 2;

export function databaseConnectionsNeeded(queues: readonly QueueName[]): number {
  let needed = PROCESS_CONNECTIONS;
  for (const q of queues) {
    needed += q === 'poll' ? POLL_BATCHES_IN_FLIGHT * POLL_BATCH_KINDS + PAGED_IMPORTS_AT_ONCE * PAGE_TRANSACTIONS_PER_IMPORT + POLL_UNBATCHED_CONNECTIONS : QUEUE_CONCURRENCY[q];
  }
  return needed;
}

/**
 * The start-up check: what is wrong when a worker's pool is smaller than what its queues use at
 * once, or undefined. Jobs past the pool wait for a connection; the runner counts such a wait as
 * "busy" (never an outage), but polling slows down, so the worker logs it as an error at start.
 */
export function poolShortfall(queues: readonly QueueName[], poolMax: number): string | undefined {
  const needed = databaseConnectionsNeeded(queues);
  if (poolMax >= needed) return undefined;
  return `DATABASE_POOL_MAX=${poolMax} is below the ${needed} connections WORKER_QUEUES=${queues.join(',')} can use at once: jobs will wait for a connection, the pool will report busy and polling will slow down (raise DATABASE_POOL_MAX to ${needed} or split the queues over more processes)`;
}

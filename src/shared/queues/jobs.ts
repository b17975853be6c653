import { z } from 'zod';
import type { DefaultJobOptions } from 'bullmq';
import type { QueueName } from './queue-names';

/**
 * THE job contract: every job name, the queue it goes to and the zod schema of its payload.
 * Producers (API, tick) and processors (workers) both use these schemas, so a payload that does
 * not parse is a poisoned message and fails once without retries.
 */
const meta = z.object({ requestId: z.string().max(200).optional() }).optional();

/**
 * What the worker's job runner does when a job fails because the database cannot be reached:
 * - `fail`: an ordinary failure, retried with the queue's backoff (periodic jobs whose next run redoes the work);
 * - `park`: put back to wait (no attempt used) until the database is likely back, so an outage of any
 *   length loses nothing;
 * - `park-and-count`: park, and count the failure (and each success) towards the shared DB breaker,
 *   which pauses polling after enough consecutive failures. Only polls count: they are the steady load.
 */
export type WhenDatabaseDown = 'fail' | 'park' | 'park-and-count';

/** The dependencies whose trouble is announced as system.degraded / system.recovered. */
export type SystemDependency = 'database' | 'thingspeak';

export const jobs = {
  'poll-tick': { queue: 'poll-control', whenDatabaseDown: 'fail', payload: z.object({ meta }) },
  'poll-channel': {
    queue: 'poll',
    whenDatabaseDown: 'park-and-count',
    payload: z.object({
      nodeChannelId: z.string().uuid(),
      reason: z.enum(['tick', 'on-demand']),
      meta,
    }),
  },
  'evaluate-node': {
    queue: 'alerts',
    whenDatabaseDown: 'park',
    payload: z.object({
      nodeId: z.string().uuid(),
      nodeChannelId: z.string().uuid(),
      epoch: z.number().int().min(0),
      /** Entry ids (inclusive) the poll inserted: the readings to evaluate. */
      fromEntryId: z.number().int().min(0),
      toEntryId: z.number().int().min(0),
      meta,
    }),
  },
  /** Periodic: built-in conditions that no new reading triggers (node offline, channel access lost). */
  'sweep-conditions': { queue: 'alerts', whenDatabaseDown: 'fail', payload: z.object({ meta }) },
  /** One webhook delivery; the notification row (outbox + delivery log) holds everything else. */
  'deliver-notification': { queue: 'notifications', whenDatabaseDown: 'park', payload: z.object({ notificationId: z.string().uuid(), meta }) },
  /** Periodic: queues deliveries whose outbox row was written but never enqueued (a crash in between). */
  'relay-notifications': { queue: 'notifications', whenDatabaseDown: 'fail', payload: z.object({ meta }) },
  /** A dependency degraded or recovered (DB breaker opened / closed, ThingSpeak outage began / ended), fanned out to subscribers of system events. */
  'notify-system-event': {
    queue: 'notifications',
    whenDatabaseDown: 'park',
    payload: z.object({
      event: z.enum(['system.degraded', 'system.recovered']),
      /** Time of the breaker transition (ms); with the event it names the notification. */
      at: z.number().int().min(0),
      reason: z.string().max(500),
      /** What is degraded or recovered; jobs queued before ThingSpeak outages were watched carry none (the database). */
      dependency: z.enum(['database', 'thingspeak']).default('database'),
      meta,
    }),
  },
  'apply-retention': { queue: 'maintenance', whenDatabaseDown: 'fail', payload: z.object({ meta }) },
  /** Periodic (ROLLUP_EVERY_MS): folds readings stored since the last run into hourly and daily rollups; a retry folds nothing twice. */
  'update-rollups': { queue: 'maintenance', whenDatabaseDown: 'fail', payload: z.object({ meta }) },
  /** Periodic (hourly, and when a maintenance worker starts): day partitions of readings ahead of their data. */
  'ensure-partitions': { queue: 'maintenance', whenDatabaseDown: 'fail', payload: z.object({ meta }) },
} as const satisfies Record<string, { queue: QueueName; whenDatabaseDown: WhenDatabaseDown; payload: z.ZodType }>;

export type JobName = keyof typeof jobs;
export type JobData<N extends JobName> = z.infer<(typeof jobs)[N]['payload']>;

/** Job names handled on each queue; a worker rejects any other name as poisoned. */
export function jobNamesOf(queue: QueueName): JobName[] {
  return (Object.keys(jobs) as JobName[]).filter((name) => jobs[name].queue === queue);
}

const keepBounded = {
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};

/**
 * Default job options per queue: retries with exponential backoff and jitter live here, on the
 * queue, so every producer gets the same policy. Completed and failed jobs are kept bounded.
 */
export const defaultJobOptions: Record<QueueName, DefaultJobOptions> = {
  'poll-control': { attempts: 3, backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 }, ...keepBounded },
  poll: { attempts: 6, backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 }, ...keepBounded },
  alerts: { attempts: 8, backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 }, ...keepBounded },
  notifications: { attempts: 10, backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 }, ...keepBounded },
  maintenance: { attempts: 3, backoff: { type: 'exponential', delay: 60_000, jitter: 0.5 }, ...keepBounded },
};

/** Deduplication id for polls: at most one pending poll per channel, never two running at once. */
export function pollDeduplicationId(nodeChannelId: string): string {
  return `poll:${nodeChannelId}`;
}

/** The delivery job's id is the notification id: relaying an outbox row twice queues it once. */
export function deliverJobId(notificationId: string): string {
  return `deliver-${notificationId}`;
}

/** One fan-out per transition, however many workers notice it (database ids keep their original form). */
export function systemEventJobId(event: string, at: number, dependency: SystemDependency = 'database'): string {
  return dependency === 'database' ? `system-${event}-${at}` : `system-${event}-${dependency}-${at}`;
}

/** Deduplication id: workers starting together queue one partition check between them. */
export const ENSURE_PARTITIONS_DEDUPLICATION_ID = 'ensure-partitions';

/** Deterministic id so a retried poll enqueues the same evaluation only once. */
export function evaluateJobId(nodeChannelId: string, epoch: number, toEntryId: number): string {
  return `evaluate-${nodeChannelId}-${epoch}-${toEntryId}`;
}

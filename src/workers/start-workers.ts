import type { Worker } from 'bullmq';
import type { Core } from '../shared/core';
import type { Logger } from '../shared/logger';
import type { PollJobFields, PollJobRecords } from '../shared/queues/poll-job-records';
import type { QueueName } from '../shared/queues/queue-names';
import { createProcessors } from './handlers';
import { runWorker } from './run-worker';
import { startBreakerWatch } from './breaker-watch';
import { QUEUE_CONCURRENCY } from '../shared/queues/worker-sizing';
import { UNTRACED } from '../shared/queues/queue-telemetry';

export const POLL_TICK_SCHEDULER_ID = 'poll-tick';
export const SWEEP_CONDITIONS_SCHEDULER_ID = 'sweep-conditions';
export const RELAY_NOTIFICATIONS_SCHEDULER_ID = 'relay-notifications';
export const RETENTION_SCHEDULER_ID = 'apply-retention';
export const ENSURE_PARTITIONS_SCHEDULER_ID = 'ensure-partitions';
const ENSURE_PARTITIONS_EVERY_MS = 3_600_000;

export interface RunningWorkers {
  workers: Map<QueueName, Worker>;
  /** One breaker check now (tests; the watch also runs on its own timer). */
  checkBreaker(): Promise<void>;
  /** Waits for active jobs to finish (graceful) or hands them back to the queue (force). */
  close(force?: boolean): Promise<void>;
}

/**
 * Starts one BullMQ Worker per queue in `config.worker.queues`. Redis on our machines keeps nothing
 * on disk, so the process that runs poll-control (re)creates the tick scheduler on every start;
 * upsert makes that safe when several processes do it.
 */
export async function startWorkers(core: Core): Promise<RunningWorkers> {
  const { config, log } = core;
  const processors = createProcessors(core);
  if (config.worker.queues.includes('poll-control')) {
    await core.queues['poll-control'].upsertJobScheduler(
      POLL_TICK_SCHEDULER_ID,
      { every: config.poll.intervalMs },
      { name: 'poll-tick', data: {}, opts: UNTRACED },
    );
  }
  if (config.worker.queues.includes('alerts')) {
    if (config.alerts.sweepMs > 0) {
      await core.queues.alerts.upsertJobScheduler(SWEEP_CONDITIONS_SCHEDULER_ID, { every: config.alerts.sweepMs }, { name: 'sweep-conditions', data: {}, opts: UNTRACED });
    } else {
      await core.queues.alerts.removeJobScheduler(SWEEP_CONDITIONS_SCHEDULER_ID);
    }
  }
  if (config.worker.queues.includes('notifications')) {
    await core.queues.notifications.upsertJobScheduler(RELAY_NOTIFICATIONS_SCHEDULER_ID, { every: config.notifications.relayMs }, { name: 'relay-notifications', data: {}, opts: UNTRACED });
  }
  if (config.worker.queues.includes('maintenance')) {
    await core.queues.maintenance.upsertJobScheduler(RETENTION_SCHEDULER_ID, { pattern: config.retention.cron, tz: 'UTC' }, { name: 'apply-retention', data: {}, opts: UNTRACED });
    // Hourly, so a day's partition exists long before midnight; and at once, so a worker that was
    // down for days (or a fresh database) does not send a day's readings to the default partition.
    await core.queues.maintenance.upsertJobScheduler(ENSURE_PARTITIONS_SCHEDULER_ID, { every: ENSURE_PARTITIONS_EVERY_MS }, { name: 'ensure-partitions', data: {}, opts: UNTRACED });
    await core.producers.enqueueEnsurePartitions();
  }
  const workers = new Map<QueueName, Worker>();
  for (const queue of config.worker.queues) {
    workers.set(
      queue,
      runWorker({
        queue,
        connection: core.redis,
        prefix: config.queues.prefix,
        processors,
        log,
        lockMs: config.worker.lockMs,
        parking: { breaker: core.breaker, parkMs: config.worker.parkMs, rampMs: config.circuit.rampMs },
        // The limiter is global per queue in BullMQ, so N workers together stay under the rate.
        limiter: queue === 'poll' ? { max: config.poll.maxPerSecond, duration: 1_000 } : undefined,
        concurrency: queue === 'poll' ? config.poll.concurrency : QUEUE_CONCURRENCY[queue],
      }),
    );
  }
  const pollWorker = workers.get('poll');
  if (pollWorker) recordWatchedPollOutcomes(pollWorker, core.pollJobRecords, log);
  await Promise.all([...workers.values()].map((w) => w.waitUntilReady()));
  const breakerWatch = startBreakerWatch(core);
  return {
    workers,
    checkBreaker: () => breakerWatch.check(),
    async close(force = false) {
      await breakerWatch.stop();
      await Promise.all([...workers.values()].map((w) => w.close(force)));
    },
  };
}

/**
 * Keeps the outcome of on-demand polls readable after BullMQ trims them (poll-job-records.ts).
 * Fire and forget from the worker's events: the write pipelines on the worker's connection and the
 * next job does not wait for it; a lost write costs a status answer, never a poll.
 */
function recordWatchedPollOutcomes(worker: Worker, records: PollJobRecords, log: Logger): void {
  const record = (job: PollJobFields, state: 'completed' | 'failed' | 'retrying') => {
    records.recordOutcome(job, state).catch((err: unknown) => log.warn({ err, queue: 'poll', jobId: job.id }, 'poll job outcome not recorded'));
  };
  worker.on('completed', (job) => record(job, 'completed'));
  // BullMQ sets finishedOn only when it moves the job to failed for good (attempts used up, or an
  // UnrecoverableError); a failure it will retry leaves it unset.
  worker.on('failed', (job) => {
    if (job) record(job, job.finishedOn ? 'failed' : 'retrying');
  });
}

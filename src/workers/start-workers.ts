import type { Worker } from 'bullmq';
import type { Core } from '../shared/core';
import type { Logger } from '../shared/logger';
import type { PollJobFields, PollJobRecords } from '../shared/queues/poll-job-records';
import type { QueueName } from '../shared/queues/queue-names';
import { createProcessors } from './handlers';
import { runWorker } from './run-worker';
import { startBreakerWatch } from './breaker-watch';
import { QUEUE_CONCURRENCY } from '../shared/queues/worker-sizing';
import { schedulersFor } from './job-schedulers';
import { createSchedulerKeeper } from './scheduler-keeper';
import { createPollRate } from '../shared/polling/poll-rate';
import { pollRateRule } from '../shared/polling/poll-rate-rule';
import { createThingSpeakOutageMonitor } from '../shared/thingspeak/outage-monitor';
import { createDatabaseBusyNote } from '../shared/health/db-busy';
import { startPollWatch, type MutableLimiter } from './poll-watch';

// Re-exported: tests and tools know the scheduler ids from here.
export { ENSURE_PARTITIONS_SCHEDULER_ID, POLL_TICK_SCHEDULER_ID, RELAY_NOTIFICATIONS_SCHEDULER_ID, RETENTION_SCHEDULER_ID, SWEEP_CONDITIONS_SCHEDULER_ID } from './job-schedulers';

export interface RunningWorkers {
  workers: Map<QueueName, Worker>;
  /** One breaker check now (tests; the watch also runs on its own timer). */
  checkBreaker(): Promise<void>;
  /** One job scheduler check now; the ids this process re-created (tests; the keeper also runs on its own). */
  checkSchedulers(): Promise<string[]>;
  /** One poll-rate and ThingSpeak-outage check now (tests; it also runs on its own timer). */
  checkPolling(): Promise<void>;
  /** Poll jobs per second this process's limiter allows now (POLL_MAX_PER_SECOND unless throttled). */
  pollRateLimit(): number;
  /** Waits for active jobs to finish (graceful) or hands them back to the queue (force). */
  close(force?: boolean): Promise<void>;
}

/**
 * Starts one BullMQ Worker per queue in `config.worker.queues`, and the job schedulers of those
 * queues. Redis on our machines keeps nothing on disk, and a Redis that restarts empty in
 * production loses them too: the scheduler keeper creates them at start (applying a changed
 * interval) and restores them whenever they go missing (scheduler-keeper.ts), safely when several
 * processes do it at once.
 */
export async function startWorkers(core: Core): Promise<RunningWorkers> {
  const { config, log } = core;
  const prefix = config.queues.prefix;
  const pollRate = createPollRate(core.redis, prefix, pollRateRule(config.poll.maxPerSecond, config.poll.rateRecoveryMs));
  // The limiter is global per queue in BullMQ (N workers together stay under the rate); poll-watch
  // lowers and raises `max` with the poll rate, and BullMQ reads it on every fetch.
  const limiter: MutableLimiter = { max: config.poll.maxPerSecond, duration: 1_000 };
  const outage = createThingSpeakOutageMonitor(core.redis, prefix, { ratio: config.thingspeak.outageRatio, outageMs: config.thingspeak.outageMs });
  const pollWatch = startPollWatch(core, { pollRate, limiter, outage });
  const busyNote = createDatabaseBusyNote(core.redis, prefix, `worker (${config.worker.queues.join(',')})`);
  const processors = createProcessors(core, {
    outcomes: outage,
    onRateLimited: (err) => {
      pollRate
        .slowDownEverywhere(`ThingSpeak 429 on channel ${err.channelId ?? '?'}`)
        .then((lowered) => (lowered ? pollWatch.check() : undefined))
        .catch((e: unknown) => log.warn({ err: e }, 'poll rate not lowered after a 429'));
    },
  });
  const { wanted, unwanted } = schedulersFor(config);
  const schedulerKeeper = createSchedulerKeeper({
    queues: core.queues,
    redis: core.redis,
    prefix: config.queues.prefix,
    log: log.child({ module: 'scheduler-keeper' }),
    specs: wanted,
    unwanted,
    checkMs: config.circuit.checkMs,
  });
  await schedulerKeeper.ensure({ applyChanges: true });
  if (config.worker.queues.includes('maintenance')) {
    // At once, besides the hourly scheduler: a worker that was down for days (or a fresh database)
    // must not send a day's readings to the default partition.
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
        parking: {
          breaker: core.breaker,
          parkMs: config.worker.parkMs,
          rampMs: config.circuit.rampMs,
          pool: {
            classify: (err) => core.poolPressure.classify(err),
            onBusy: () => {
              busyNote.note();
              pollWatch.slowDownHere();
            },
          },
        },
        limiter: queue === 'poll' ? limiter : undefined,
        concurrency: queue === 'poll' ? config.poll.concurrency : QUEUE_CONCURRENCY[queue],
      }),
    );
  }
  const pollWorker = workers.get('poll');
  if (pollWorker) recordWatchedPollOutcomes(pollWorker, core.pollJobRecords, log);
  await Promise.all([...workers.values()].map((w) => w.waitUntilReady()));
  const breakerWatch = startBreakerWatch(core);
  schedulerKeeper.start();
  return {
    workers,
    checkBreaker: () => breakerWatch.check(),
    checkSchedulers: () => schedulerKeeper.ensure(),
    checkPolling: () => pollWatch.check(),
    pollRateLimit: () => limiter.max,
    async close(force = false) {
      await Promise.all([breakerWatch.stop(), schedulerKeeper.stop(), pollWatch.stop()]);
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

import type { Worker } from 'bullmq';
import type { Core } from '../shared/core';
import type { QueueName } from '../shared/queues/queue-names';
import { createProcessors } from './handlers';
import { runWorker } from './run-worker';
import { startBreakerWatch } from './breaker-watch';

export const POLL_TICK_SCHEDULER_ID = 'poll-tick';

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
      { name: 'poll-tick', data: {} },
    );
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
        // The limiter is global per queue in BullMQ, so N workers together stay under the rate.
        limiter: queue === 'poll' ? { max: config.poll.maxPerSecond, duration: 1_000 } : undefined,
        concurrency: queue === 'poll' ? config.poll.concurrency : queue === 'poll-control' ? 1 : 5,
      }),
    );
  }
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

import { DelayedError, UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import { isAppError } from '../shared/errors';
import { jobNamesOf, jobs, type JobName } from '../shared/queues/jobs';
import type { QueueName } from '../shared/queues/queue-names';
import type { Processors } from './handlers';

export interface RunWorkerOptions {
  queue: QueueName;
  connection: Redis;
  prefix: string;
  processors: Processors;
  log: Logger;
  concurrency: number;
  limiter?: WorkerOptions['limiter'];
  /** Lock duration; also the stalled-job check interval, so a dead worker's jobs come back after it. */
  lockMs: number;
}

/**
 * Wraps a BullMQ Worker: parses the payload with the contract schema, gives the processor a
 * logger carrying the job's ids, and maps errors to job outcomes. This file and the API's error
 * handler are the only places error kinds are interpreted.
 */
export function runWorker(opts: RunWorkerOptions): Worker {
  const names = new Set<string>(jobNamesOf(opts.queue));
  const worker = new Worker(
    opts.queue,
    async (job: Job, token?: string) => {
      const meta = (job.data as { meta?: { requestId?: string } } | undefined)?.meta;
      const log = opts.log.child({ queue: opts.queue, jobName: job.name, jobId: job.id, attempt: job.attemptsMade + 1, requestId: meta?.requestId });
      if (!names.has(job.name)) {
        log.error('unknown job name: dropped without retry');
        throw new UnrecoverableError(`unknown job name "${job.name}" on queue ${opts.queue}`);
      }
      const name = job.name as JobName;
      const parsed = jobs[name].payload.safeParse(job.data);
      if (!parsed.success) {
        log.error({ issues: parsed.error.issues.slice(0, 5) }, 'poisoned payload: dropped without retry');
        throw new UnrecoverableError(`invalid payload for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      const startedAt = Date.now();
      try {
        const result = await opts.processors[name](parsed.data as never, { job, token, log });
        log.debug({ durationMs: Date.now() - startedAt }, 'job done');
        return result;
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        if (isAppError(err) && err.kind === 'user') {
          log.info({ err }, 'job refused: not retried');
          throw new UnrecoverableError(err.message);
        }
        if (isAppError(err)) log.warn({ err, code: err.code }, 'job failed: will retry with backoff');
        else log.error({ err }, 'job failed unexpectedly');
        throw err;
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      limiter: opts.limiter,
      lockDuration: opts.lockMs,
      stalledInterval: opts.lockMs,
      autorun: true,
    },
  );
  worker.on('error', (err) => opts.log.error({ err, queue: opts.queue }, 'worker error'));
  return worker;
}

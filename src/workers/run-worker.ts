import { DelayedError, UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import { isAppError, RetryLaterError } from '../shared/errors';
import { isDatabaseUnavailable, isPoolWaitTimeout } from '../shared/db/db-errors';
import { jobNamesOf, jobs, type JobName } from '../shared/queues/jobs';
import type { QueueName } from '../shared/queues/queue-names';
import { queueTelemetry } from '../shared/queues/queue-telemetry';
import type { Processors } from './processor';
import { busyDelayMs, deferJob, parkJob, type ParkingPolicy } from './park-job';

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
  /** How jobs whose contract says `park` wait out a database outage, and the breaker they report to. */
  parking: ParkingPolicy;
}

/**
 * Wraps a BullMQ Worker: parses the payload with the contract schema, gives the processor a
 * logger carrying the job's ids, and maps errors to job outcomes. This file and the API's error
 * handler are the only places error kinds are interpreted; the job contract's `whenDatabaseDown`
 * (park, count towards the breaker) is applied here and nowhere else, and so is the difference
 * between a busy pool (waits, not counted) and an unreachable database (parked, counted).
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
      const whenDatabaseDown = jobs[name].whenDatabaseDown;
      try {
        const result = await opts.processors[name](parsed.data as never, { job, log });
        if (whenDatabaseDown === 'park-and-count') await opts.parking.breaker.recordSuccess();
        log.debug({ durationMs: Date.now() - startedAt }, 'job done');
        return result;
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        if (err instanceof RetryLaterError) return deferJob(job, token, err.retryAfterMs);
        // A full pool while the server answers is load, not an outage: never counted towards the
        // breaker; the job waits its turn (no attempt used) and this process polls slower.
        if (isPoolWaitTimeout(err) && (await opts.parking.pool.classify(err)) === 'busy') {
          opts.parking.pool.onBusy();
          if (whenDatabaseDown !== 'fail') {
            const waitMs = busyDelayMs(opts.parking);
            log.info({ waitMs }, 'database pool busy (the database answers): job waits, not counted towards the breaker');
            return deferJob(job, token, waitMs);
          }
        }
        if (whenDatabaseDown !== 'fail' && isDatabaseUnavailable(err)) {
          let failures: number | undefined;
          if (whenDatabaseDown === 'park-and-count') {
            const result = await opts.parking.breaker.recordFailure((err as { code?: string }).code ?? (err as Error).message);
            failures = result.failures;
            if (result.opened) log.warn({ failures: result.failures }, 'database unavailable: circuit opened, entering degraded mode');
          }
          return parkJob(opts.parking, job, token, log, err, failures);
        }
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
      telemetry: queueTelemetry(),
    },
  );
  worker.on('error', (err) => opts.log.error({ err, queue: opts.queue }, 'worker error'));
  return worker;
}

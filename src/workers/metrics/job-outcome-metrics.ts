import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { Counter, Histogram, type Registry } from 'prom-client';
import { isAppError } from '../../shared/errors';
import type { EvaluationResult } from '../../shared/alerts/alert-engine';
import type { PollOutcome } from '../../shared/polling/poll-channel';
import type { QueueName } from '../../shared/queues/queue-names';
import { THINGSPEAK_ERROR_CODES, ThingSpeakError, type ThingSpeakErrorKind } from '../../shared/thingspeak/thingspeak-error';

// Seconds; a poll is one or two ThingSpeak requests, a backfill pages through thousands of entries.
const POLL_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** A failure's label: the error's stable code, never its message (messages carry ids). */
function failureCode(err: Error): string {
  if (isAppError(err)) return err.code;
  // run-worker.ts turns a refused job (user error, poisoned payload) into an UnrecoverableError.
  if (err instanceof UnrecoverableError) return 'REFUSED';
  return 'UNEXPECTED';
}

/** Time the job spent active: BullMQ stamps processedOn when it starts and finishedOn when it ends. */
function activeSeconds(job: Job): number | undefined {
  if (!job.processedOn) return undefined;
  return Math.max((job.finishedOn ?? Date.now()) - job.processedOn, 0) / 1000;
}

/**
 * Counts what the jobs of this process did, from the BullMQ Worker events `completed` (with the
 * processor's return value) and `failed` (with the error thrown), so the processors stay free of
 * metrics code. A failed event is one failed attempt (a retried poll counts each time); a job
 * parked while the database is down (DelayedError) is neither.
 */
export function registerJobOutcomeMetrics(registry: Registry, workers: ReadonlyMap<QueueName, Worker>): void {
  const jobsFinished = new Counter({
    name: 'evara_jobs_finished_total',
    help: 'Job attempts this worker process finished, by queue, job name and result (completed, failed)',
    labelNames: ['queue', 'job', 'result'],
    registers: [registry],
  });
  const pollsCompleted = new Counter({
    name: 'evara_polls_completed_total',
    help: 'Channel polls that completed, by outcome (polled, skipped: channel gone or inactive)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const pollsFailed = new Counter({
    name: 'evara_polls_failed_total',
    help: 'Channel poll attempts that failed, by error code (THINGSPEAK_*, DATABASE_UNAVAILABLE, REFUSED, UNEXPECTED ...)',
    labelNames: ['code'],
    registers: [registry],
  });
  const pollDuration = new Histogram({
    name: 'evara_poll_duration_seconds',
    help: 'How long one channel poll ran, by result (completed, failed)',
    labelNames: ['result'],
    buckets: POLL_DURATION_BUCKETS,
    registers: [registry],
  });
  const readingsStored = new Counter({
    name: 'evara_readings_stored_total',
    help: 'Readings inserted by polls of this process (re-fetched duplicates are not counted)',
    registers: [registry],
  });
  const thingspeakErrors = new Counter({
    name: 'evara_thingspeak_errors_total',
    help: 'ThingSpeak reads that failed a poll attempt, by kind (access_denied, not_found, rate_limited, server_error, timeout, network, bad_response)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const evaluations = new Counter({
    name: 'evara_alert_evaluations_total',
    help: 'Alert evaluations of new readings (evaluate-node jobs) completed by this process',
    registers: [registry],
  });
  const alertChanges = new Counter({
    name: 'evara_alerts_changed_total',
    help: 'Alerts opened or resolved by evaluations of new readings in this process',
    labelNames: ['change'],
    registers: [registry],
  });
  // Zero series from the start, so rate() and absent() work before the first event.
  for (const outcome of ['polled', 'skipped']) pollsCompleted.inc({ outcome }, 0);
  for (const kind of Object.keys(THINGSPEAK_ERROR_CODES) as ThingSpeakErrorKind[]) thingspeakErrors.inc({ kind }, 0);
  for (const change of ['opened', 'resolved']) alertChanges.inc({ change }, 0);

  for (const [queue, worker] of workers) {
    worker.on('completed', (job: Job, result: unknown) => {
      jobsFinished.inc({ queue, job: job.name, result: 'completed' });
      if (job.name === 'poll-channel') {
        const outcome = result as PollOutcome;
        pollsCompleted.inc({ outcome: outcome.outcome });
        if (outcome.outcome === 'polled') readingsStored.inc(outcome.inserted);
        const seconds = activeSeconds(job);
        if (seconds !== undefined) pollDuration.observe({ result: 'completed' }, seconds);
      } else if (job.name === 'evaluate-node') {
        const summary = result as Partial<EvaluationResult>;
        evaluations.inc();
        alertChanges.inc({ change: 'opened' }, summary.opened ?? 0);
        alertChanges.inc({ change: 'resolved' }, summary.resolved ?? 0);
      }
    });
    worker.on('failed', (job: Job | undefined, err: Error) => {
      if (!job) return;
      jobsFinished.inc({ queue, job: job.name, result: 'failed' });
      if (job.name !== 'poll-channel') return;
      pollsFailed.inc({ code: failureCode(err) });
      if (err instanceof ThingSpeakError) thingspeakErrors.inc({ kind: err.upstreamKind });
      const seconds = activeSeconds(job);
      if (seconds !== undefined) pollDuration.observe({ result: 'failed' }, seconds);
    });
  }
}

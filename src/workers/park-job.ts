import { DelayedError, type Job } from 'bullmq';
import type { DbBreaker } from '../shared/breaker/db-breaker';
import type { Logger } from '../shared/logger';
import type { PoolWaitVerdict } from '../shared/db/pool-pressure';

const MAX_PARK_MS = 5 * 60_000;

export interface ParkingPolicy {
  breaker: DbBreaker;
  /** First wait; doubles each time the same job is parked again (WORKER_PARK_MS). */
  parkMs: number;
  /** Random spread after the wait (CIRCUIT_RAMP_MS), so a recovered database is not met by every parked job at once. */
  rampMs: number;
  /** Tells a busy pool from a dead database (pool-pressure.ts), and what to do when it is busy. */
  pool: { classify(err: unknown): Promise<PoolWaitVerdict>; onBusy(): void };
}

/**
 * THE wait of a job that found the pool busy: about WORKER_PARK_MS, spread by as much again so the
 * waiting jobs do not all come back at once. No doubling: the database answers, the pool drains.
 */
export function busyDelayMs(policy: Pick<ParkingPolicy, 'parkMs'>, random = Math.random): number {
  return policy.parkMs + Math.floor(random() * policy.parkMs);
}

/**
 * THE wait of a job parked by an unreachable database: doubling from `parkMs` up to 5 min, never
 * before the breaker's next probe, plus a random spread over the ramp window.
 */
export function parkDelayMs(policy: Pick<ParkingPolicy, 'parkMs' | 'rampMs'>, timesParked: number, untilProbeMs: number, random = Math.random): number {
  const backoff = Math.min(policy.parkMs * 2 ** Math.min(Math.max(timesParked, 0), 16), MAX_PARK_MS);
  return Math.max(backoff, untilProbeMs) + Math.floor(random() * policy.rampMs);
}

/** Moves the job back to delayed without using an attempt; BullMQ needs the DelayedError thrown after. */
export async function parkJob(policy: ParkingPolicy, job: Job, token: string | undefined, log: Logger, err: unknown, breakerFailures?: number): Promise<never> {
  const snapshot = await policy.breaker.snapshot();
  const untilProbe = snapshot.state === 'open' && snapshot.nextProbeAt !== null ? Math.max(snapshot.nextProbeAt - Date.now(), 0) : 0;
  const waitMs = parkDelayMs(policy, job.attemptsStarted - 1, untilProbe);
  // `failures`: the shared breaker's count after this failure, for jobs that count towards it.
  log.warn({ err, waitMs, circuit: snapshot.state, failures: breakerFailures }, 'database unavailable: job parked until it is back');
  await job.moveToDelayed(Date.now() + waitMs, token);
  throw new DelayedError();
}

/** Puts the job back for `waitMs` without using an attempt (the work is busy elsewhere). */
export async function deferJob(job: Job, token: string | undefined, waitMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + waitMs, token);
  throw new DelayedError();
}

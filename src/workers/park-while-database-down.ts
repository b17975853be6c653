import { DelayedError } from 'bullmq';
import type { Core } from '../shared/core';
import { isDatabaseUnavailable } from '../shared/db/db-errors';
import type { JobContext } from './handlers';

const MAX_PARK_MS = 5 * 60_000;

/**
 * Runs `work`; if it hits an unreachable database, the job is parked (moved to delayed without
 * using an attempt) instead of failing, so a notification outlives an outage of any length.
 * It comes back after a wait that doubles each time it is parked again (from NOTIFY_BACKOFF_MS up
 * to 5 min) and never before the breaker's next probe, plus a random spread over the ramp window
 * like parked polls, so a recovered database is not met by every parked job at once.
 * Any other error is the caller's, for the queue's retries.
 */
export async function parkWhileDatabaseDown<T>(core: Core, ctx: JobContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    const snapshot = await core.breaker.snapshot();
    const backoff = Math.min(core.config.notifications.backoffMs * 2 ** Math.min(Math.max(ctx.job.attemptsStarted - 1, 0), 16), MAX_PARK_MS);
    const untilProbe = snapshot.state === 'open' && snapshot.nextProbeAt !== null ? snapshot.nextProbeAt - Date.now() : 0;
    const waitMs = Math.max(backoff, untilProbe) + Math.floor(Math.random() * core.config.circuit.rampMs);
    ctx.log.warn({ err, waitMs, circuit: snapshot.state }, 'database unavailable: job parked until it is back');
    await ctx.job.moveToDelayed(Date.now() + waitMs, ctx.token);
    throw new DelayedError();
  }
}

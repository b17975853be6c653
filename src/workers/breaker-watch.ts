import { randomUUID } from 'node:crypto';
import type { Core } from '../shared/core';
import { checkDatabase } from '../shared/health/dependency-checks';
import { createBreakerTransitionNotifier } from './breaker-transition-notifier';
import { startPeriodicCheck } from './periodic-check';

/**
 * Runs in every worker process: keeps the `poll` queue's global pause in agreement with the DB
 * breaker, and probes the database when a probe is due (one process at a time, by the breaker's
 * lock). The breaker's own pause is marked with a flag, so an operator's manual pause (no flag)
 * is never undone, and a crash between tripping and pausing is repaired on the next check.
 * Each check also queues a webhook notification for every transition not yet notified.
 */
export function startBreakerWatch(core: Core): { stop(): Promise<void>; check(): Promise<void> } {
  const { breaker, queues, redis, log } = core;
  const flagKey = breaker.keys.pollPausedByBreaker;
  const instance = randomUUID();
  const transitionNotifier = createBreakerTransitionNotifier(core);

  async function pauseForBreaker(): Promise<void> {
    const ours = (await redis.exists(flagKey)) === 1;
    const paused = await queues.poll.isPaused();
    // Already paused without our flag: an operator's pause (before the outage, or on the board
    // during it, which clears the flag). Never claim it, so recovery does not undo it.
    if (paused && !ours) return;
    // Flag first: if we die before pause(), the next check still sees "ours to pause".
    if (!ours) await redis.set(flagKey, '1');
    if (!paused) {
      await queues.poll.pause();
      log.warn({ queue: 'poll' }, 'poll queue paused: database unavailable (circuit open)');
    }
  }

  async function resumeAfterBreaker(): Promise<void> {
    if (!(await redis.exists(flagKey))) return; // paused by an operator, or not paused at all
    if (await queues.poll.isPaused()) {
      // The global limiter (POLL_MAX_PER_SECOND) meters out the parked backlog, so resuming
      // does not stampede the database that just came back.
      await queues.poll.resume();
      log.info({ queue: 'poll' }, 'poll queue resumed: database recovered (circuit closed)');
    }
    await redis.del(flagKey);
  }

  async function probe(): Promise<void> {
    const token = `${instance}:${Date.now()}`;
    if (!(await breaker.acquireProbe(token, Math.max(core.config.circuit.checkMs * 10, 10_000)))) return;
    const result = await checkDatabase(core.db, 5_000);
    const outcome = await breaker.probeResult(token, result.status === 'up', result.status === 'up' ? 'probe ok' : `probe failed: ${result.error ?? 'unknown'}`);
    if (outcome === 'closed') log.info({ latencyMs: result.latencyMs }, 'database recovered: circuit closed');
    else if (outcome === 'still-open') log.warn({ error: result.error }, 'database probe failed: circuit stays open');
  }

  async function check(): Promise<void> {
    const state = await breaker.snapshot();
    if (state.state === 'open') {
      await pauseForBreaker();
      await probe();
      if ((await breaker.snapshot()).state === 'closed') await resumeAfterBreaker();
    } else {
      await resumeAfterBreaker();
    }
    // Kept apart from the pause logic: a failure here is retried on the next check and never
    // keeps the poll queue out of step with the breaker.
    await transitionNotifier.notifyNew().catch((err: unknown) => log.warn({ err }, 'breaker transition not notified yet: retried on the next check'));
  }

  const periodic = startPeriodicCheck(check, core.config.circuit.checkMs, log, 'breaker check failed');

  return {
    check,
    stop: () => periodic.stop(),
  };
}

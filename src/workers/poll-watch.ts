import type { Core } from '../shared/core';
import type { PollRate } from '../shared/polling/poll-rate';
import type { ThingSpeakOutageMonitor } from '../shared/thingspeak/outage-monitor';
import { createThingSpeakTransitionNotifier } from './breaker-transition-notifier';
import { startPeriodicCheck } from './periodic-check';

/** The poll queue's limiter as handed to BullMQ; BullMQ reads `max` on every fetch, so changing it takes effect at once. */
export interface MutableLimiter {
  max: number;
  duration: number;
}

/**
 * Runs in every worker process beside the breaker watch, each CIRCUIT_CHECK_MS: applies the poll
 * rate (AIMD after 429s and busy pools) to this process's limiter, adds this process's poll
 * outcomes to the shared ThingSpeak window, moves the outage state and queues one system event
 * per transition (whichever worker performs it).
 */
export function startPollWatch(core: Core, deps: { pollRate: PollRate; limiter: MutableLimiter; outage: ThingSpeakOutageMonitor }) {
  const { log } = core;
  const notifier = createThingSpeakTransitionNotifier(core, deps.outage);

  async function applyRate(): Promise<void> {
    const rate = await deps.pollRate.current();
    if (rate === deps.limiter.max) return;
    const raised = rate > deps.limiter.max;
    deps.limiter.max = rate;
    // Every step of the climb would be a line; log the drops and the return to full speed.
    if (!raised) log.warn({ pollsPerSecond: rate }, 'poll rate lowered (ThingSpeak 429 or busy database pool)');
    else if (rate === deps.pollRate.rule.max) log.info({ pollsPerSecond: rate }, 'poll rate back to POLL_MAX_PER_SECOND');
  }

  async function check(): Promise<void> {
    await applyRate();
    await deps.outage.flush();
    const transition = await deps.outage.evaluate();
    if (transition?.to === 'outage') log.warn({ reason: transition.reason }, 'ThingSpeak outage: system.degraded (dependency thingspeak)');
    else if (transition) log.info({ reason: transition.reason }, 'ThingSpeak recovered: system.recovered (dependency thingspeak)');
    await notifier.notifyNew().catch((err: unknown) => log.warn({ err }, 'ThingSpeak transition not notified yet: retried on the next check'));
  }

  const periodic = startPeriodicCheck(check, core.config.circuit.checkMs, log, 'poll watch check failed');

  return {
    check,
    /** Lowers this process's rate now (a busy pool), without waiting for the next check. */
    slowDownHere(): void {
      if (deps.pollRate.slowDownHere()) void applyRate().catch(() => undefined);
    },
    stop: () => periodic.stop(),
  };
}

/**
 * THE rule of the poll rate (AIMD): a signal to slow down (ThingSpeak's 429, a busy database pool)
 * halves the rate at most once per cooldown; from there the rate climbs back linearly, reaching
 * POLL_MAX_PER_SECOND from 0 in `recoveryMs`. The state is two numbers, so it fits one Redis hash
 * shared by every worker, and the rate at any moment is computed from it: no timer has to run.
 */
export interface PollRateRule {
  /** POLL_MAX_PER_SECOND: the rate with no recent signal. */
  max: number;
  /** Never below this (polls/s), so a long throttle still moves. */
  min: number;
  /** Multiplier applied on a signal (0.5 halves). */
  decreaseFactor: number;
  /** Time to climb from 0 back to `max` (POLL_RATE_RECOVERY_MS). */
  recoveryMs: number;
  /** Signals within this long after a decrease change nothing: 200 polls that all get a 429 at once halve once. */
  decreaseCooldownMs: number;
}

/** The rate right after the last decrease (`base`, polls/s) and when it happened; null: never throttled. */
export interface PollRateState {
  base: number;
  at: number;
}

export function pollRateRule(maxPerSecond: number, recoveryMs: number): PollRateRule {
  return { max: maxPerSecond, min: 1, decreaseFactor: 0.5, recoveryMs, decreaseCooldownMs: 1_000 };
}

/** Polls/s allowed at `now`: additive increase from the last decrease, capped at `max`. */
export function currentPollRate(state: PollRateState | null, rule: PollRateRule, now: number): number {
  if (!state) return rule.max;
  const climbed = state.base + (rule.max * Math.max(0, now - state.at)) / rule.recoveryMs;
  return Math.min(rule.max, Math.max(rule.min, Math.floor(climbed)));
}

/** The state after a slow-down signal, or undefined while the last decrease is still cooling down. */
export function decreasedPollRate(state: PollRateState | null, rule: PollRateRule, now: number): PollRateState | undefined {
  if (state && now - state.at < rule.decreaseCooldownMs) return undefined;
  return { base: Math.max(rule.min, Math.floor(currentPollRate(state, rule, now) * rule.decreaseFactor)), at: now };
}

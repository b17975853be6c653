import type { Redis } from 'ioredis';
import { currentPollRate, decreasedPollRate, type PollRateRule, type PollRateState } from './poll-rate-rule';

// Compare-and-set: the decrease computed from the state read applies only if no other process
// changed it since, so a burst of 429s seen by several workers halves the shared rate once.
// KEYS[1] state hash; ARGV: expected `at` ('' when absent), base, at, ttl ms, reason
const SET_IF_UNCHANGED = `
local at = redis.call('HGET', KEYS[1], 'at') or ''
if at ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'base', ARGV[2], 'at', ARGV[3], 'reason', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

export interface PollRate {
  /** Polls/s this process may start now: the lower of the shared rate and its own. */
  current(): Promise<number>;
  /** ThingSpeak said slow down (429): every worker slows, through the shared state in Redis. */
  slowDownEverywhere(reason: string): Promise<boolean>;
  /** Only this process has trouble (its database pool is busy): only it slows. */
  slowDownHere(): boolean;
  readonly rule: PollRateRule;
}

/**
 * The poll rate's two AIMD states (poll-rate-rule.ts): one shared by every worker in Redis (a
 * ThingSpeak 429 concerns them all) and one per process (a busy pool concerns only its owner).
 * The worker applies `current()` to the poll queue's limiter.
 */
export function createPollRate(redis: Redis, prefix: string, rule: PollRateRule, now: () => number = () => Date.now()): PollRate {
  const key = `${prefix}:poll-rate:shared`;
  let local: PollRateState | null = null;
  // Once fully climbed back the state says nothing any more: it expires.
  const ttlMs = rule.recoveryMs + rule.decreaseCooldownMs;

  async function readShared(): Promise<PollRateState | null> {
    const h = await redis.hgetall(key);
    return h.at === undefined ? null : { base: Number(h.base), at: Number(h.at) };
  }

  return {
    rule,
    async current() {
      const t = now();
      return Math.min(currentPollRate(await readShared(), rule, t), currentPollRate(local, rule, t));
    },
    async slowDownEverywhere(reason) {
      const state = await readShared();
      const next = decreasedPollRate(state, rule, now());
      if (!next) return false;
      return (await redis.eval(SET_IF_UNCHANGED, 1, key, state ? String(state.at) : '', next.base, next.at, ttlMs, reason.slice(0, 200))) === 1;
    },
    slowDownHere() {
      const next = decreasedPollRate(local, rule, now());
      if (next) local = next;
      return next !== undefined;
    },
  };
}

import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { RetryLaterError } from '../errors';
import { tryLock } from '../locks/redis-lock';
import type { BatchedLocks } from '../locks/batched-redis-locks';
import { thingspeakLastSuccessKey } from '../health/health-keys';
import { pollChannel, type PollDeps, type PollOutcome } from './poll-channel';
import { ThingSpeakError } from '../thingspeak/thingspeak-error';

export interface PollChannelJobDeps extends PollDeps {
  redis: Redis;
  /** The queue prefix: names the per-channel lock and the health key. */
  prefix: string;
  /** Same lifetime as a job lock: a crashed holder frees the channel when its job is found stalled. */
  lockTtlMs: number;
  /** Shared by the polls of this process (one pipeline per batch); a lock per call when absent. */
  locks?: BatchedLocks;
  /** Told of every ThingSpeak 429, to lower the poll rate of every worker (poll-rate.ts). */
  onRateLimited?: (err: ThingSpeakError) => void;
  /** Told of every poll's outcome, to notice a ThingSpeak-wide outage (outage-monitor.ts). */
  outcomes?: { record(err?: unknown): void };
}

/** A 429 without Retry-After waits this long; one with it waits what it says, within these bounds. */
export const RATE_LIMITED_DEFAULT_WAIT_MS = 30_000;
const RATE_LIMITED_MIN_WAIT_MS = 1_000;
const RATE_LIMITED_MAX_WAIT_MS = 3_600_000;

/** How long a channel ThingSpeak throttled waits before its next attempt: Retry-After, bounded. */
export function rateLimitedWaitMs(err: ThingSpeakError): number {
  const asked = err.retryAfterMs ?? RATE_LIMITED_DEFAULT_WAIT_MS;
  return Math.min(RATE_LIMITED_MAX_WAIT_MS, Math.max(RATE_LIMITED_MIN_WAIT_MS, asked));
}

// /health reads this with minute resolution; one write a second per process is plenty at 1,000 polls/s.
const NOTE_EVERY_MS = 1_000;
const lastNoted = new Map<string, number>();

async function noteThingSpeakSuccess(deps: PollChannelJobDeps): Promise<void> {
  const now = Date.now();
  if (now - (lastNoted.get(deps.prefix) ?? 0) < NOTE_EVERY_MS) return;
  lastNoted.set(deps.prefix, now);
  await deps.redis.set(thingspeakLastSuccessKey(deps.prefix), String(now));
}

/**
 * A poll job's use case: poll one channel while holding its lock, and note the time of the last
 * successful ThingSpeak poll for /health. Deduplication already keeps one poll per channel; the
 * lock also covers a job that BullMQ re-ran after a lost lock while its first run was still going.
 */
export async function runPollChannelJob(deps: PollChannelJobDeps, nodeChannelId: string, log: Logger): Promise<PollOutcome> {
  const key = `${deps.prefix}:lock:poll:${nodeChannelId}`;
  const lock = deps.locks ? await deps.locks.tryLock(key) : await tryLock(deps.redis, key, deps.lockTtlMs);
  if (!lock) {
    // Wait for the other run instead of dropping this poll.
    log.info({ nodeChannelId }, 'channel is being polled by another job: retrying later');
    throw new RetryLaterError(`channel ${nodeChannelId} is being polled by another job`, Math.ceil(deps.lockTtlMs / 2));
  }
  try {
    const outcome = await pollChannel(deps, nodeChannelId, log);
    if (outcome.outcome === 'polled') {
      deps.outcomes?.record();
      await noteThingSpeakSuccess(deps);
    }
    return outcome;
  } catch (err) {
    if (err instanceof ThingSpeakError) deps.outcomes?.record(err);
    if (err instanceof ThingSpeakError && err.upstreamKind === 'rate_limited') {
      // ThingSpeak asked this channel to wait: the next attempt comes after Retry-After without
      // using one of the job's attempts, and every worker polls slower for a while.
      deps.onRateLimited?.(err);
      const waitMs = rateLimitedWaitMs(err);
      log.info({ nodeChannelId, waitMs, retryAfterMs: err.retryAfterMs }, 'ThingSpeak rate-limited this channel: next attempt after Retry-After');
      throw new RetryLaterError(`ThingSpeak rate-limited channel ${nodeChannelId}: retrying in ${Math.ceil(waitMs / 1000)} s`, waitMs);
    }
    throw err;
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err }, 'poll lock release failed'));
  }
}

import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { RetryLaterError } from '../errors';
import { tryLock } from '../locks/redis-lock';
import type { BatchedLocks } from '../locks/batched-redis-locks';
import { thingspeakLastSuccessKey } from '../health/health-keys';
import { pollChannel, type PollDeps, type PollOutcome } from './poll-channel';

export interface PollChannelJobDeps extends PollDeps {
  redis: Redis;
  /** The queue prefix: names the per-channel lock and the health key. */
  prefix: string;
  /** Same lifetime as a job lock: a crashed holder frees the channel when its job is found stalled. */
  lockTtlMs: number;
  /** Shared by the polls of this process (one pipeline per batch); a lock per call when absent. */
  locks?: BatchedLocks;
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
    if (outcome.outcome === 'polled') await noteThingSpeakSuccess(deps);
    return outcome;
  } finally {
    await lock.release().catch((err: unknown) => log.warn({ err }, 'poll lock release failed'));
  }
}

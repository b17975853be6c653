import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createMicroBatcher } from '../batching/micro-batcher';
import { RELEASE_LOCK_SCRIPT, EXTEND_LOCK_SCRIPT, type Lock } from './redis-lock';

export interface BatchedLocks {
  tryLock(key: string): Promise<Lock | undefined>;
  /** Stops the shared heartbeat (process shutdown). */
  stop(): void;
}

const MAX_KEYS_PER_ROUND_TRIP = 500;

/**
 * The same locks as redis-lock.ts (SET NX PX, released and extended only by their token), for
 * many short holders at once: acquisitions and releases that happen together go to Redis as one
 * pipeline, and one heartbeat extends every held lock. A worker running hundreds of polls at a
 * time pays a few round trips per batch instead of two per poll, and one timer instead of hundreds.
 */
export function createBatchedLocks(redis: Redis, ttlMs: number): BatchedLocks {
  const held = new Map<string, string>();

  const acquire = createMicroBatcher<{ key: string; token: string }, boolean>({
    name: 'take locks',
    maxItems: MAX_KEYS_PER_ROUND_TRIP,
    maxInFlight: 1,
    async run(items) {
      const pipeline = redis.pipeline();
      for (const { key, token } of items) pipeline.set(key, token, 'PX', ttlMs, 'NX');
      const replies = (await pipeline.exec()) ?? [];
      return items.map((_, i) => {
        const [err, reply] = replies[i] ?? [new Error('no reply'), null];
        return err ? { status: 'rejected', reason: err } : { status: 'fulfilled', value: reply === 'OK' };
      });
    },
  });

  const release = createMicroBatcher<{ key: string; token: string }, void>({
    name: 'release locks',
    maxItems: MAX_KEYS_PER_ROUND_TRIP,
    maxInFlight: 1,
    async run(items) {
      const pipeline = redis.pipeline();
      for (const { key, token } of items) pipeline.eval(RELEASE_LOCK_SCRIPT, 1, key, token);
      const replies = (await pipeline.exec()) ?? [];
      return items.map((_, i) => {
        const err = replies[i]?.[0];
        return err ? { status: 'rejected', reason: err } : { status: 'fulfilled', value: undefined };
      });
    },
  });

  const heartbeat = setInterval(() => {
    if (held.size === 0) return;
    const pipeline = redis.pipeline();
    for (const [key, token] of held) pipeline.eval(EXTEND_LOCK_SCRIPT, 1, key, token, String(ttlMs));
    pipeline.exec().catch(() => undefined);
  }, Math.max(Math.floor(ttlMs / 3), 100));
  heartbeat.unref();

  return {
    async tryLock(key) {
      const token = randomUUID();
      if (!(await acquire.submit({ key, token }))) return undefined;
      held.set(key, token);
      return {
        async release() {
          if (held.get(key) === token) held.delete(key);
          await release.submit({ key, token });
        },
      };
    },
    stop: () => clearInterval(heartbeat),
  };
}

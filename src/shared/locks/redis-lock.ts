import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Both scripts act only if the key still holds our token, so a lock that expired and was taken
// over by another process is never released or extended by its late first owner.
export const RELEASE_LOCK_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
export const EXTEND_LOCK_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface Lock {
  release(): Promise<void>;
}

/**
 * A lock with a short expiry in Redis (SET NX PX), kept alive by a heartbeat while held, so a
 * holder that dies frees it within `ttlMs`. Undefined when someone else holds it.
 */
export async function tryLock(redis: Redis, key: string, ttlMs: number): Promise<Lock | undefined> {
  const token = randomUUID();
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return undefined;
  const heartbeat = setInterval(() => {
    redis.eval(EXTEND_LOCK_SCRIPT, 1, key, token, String(ttlMs)).catch(() => undefined);
  }, Math.max(Math.floor(ttlMs / 3), 100));
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      await redis.eval(RELEASE_LOCK_SCRIPT, 1, key, token);
    },
  };
}

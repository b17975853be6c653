import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Deletes the key only if it still holds our token, so an expired lock taken over by another
// process is never released by the late first owner.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface Lock {
  release(): Promise<void>;
}

/** A lock with expiry in Redis (SET NX PX); undefined when another holder has it. */
export async function tryLock(redis: Redis, key: string, ttlMs: number): Promise<Lock | undefined> {
  const token = randomUUID();
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return undefined;
  return {
    async release() {
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}

import type { Redis } from 'ioredis';

/** Redis key a process sets while its database pool is busy (pool-pressure.ts); /health reads it. */
export const databaseBusyKey = (prefix: string) => `${prefix}:health:db-busy`;

/** How long one busy pool keeps /health saying so: a few of the worker's acquire timeouts. */
export const DATABASE_BUSY_SHOWN_MS = 30_000;

// One write a second per process is plenty for a fact read with a 2 s cache.
const NOTE_EVERY_MS = 1_000;

/**
 * Notes, for every process's /health, that this process's pool was busy just now. Best effort:
 * a lost note costs a health detail, never a job.
 */
export function createDatabaseBusyNote(redis: Redis, prefix: string, service: string, now: () => number = () => Date.now()) {
  let lastNoted = 0;
  return {
    note(): void {
      const at = now();
      if (at - lastNoted < NOTE_EVERY_MS) return;
      lastNoted = at;
      redis.set(databaseBusyKey(prefix), JSON.stringify({ at, service }), 'PX', DATABASE_BUSY_SHOWN_MS).catch(() => undefined);
    },
  };
}

/** Which process saw its pool busy last, and when; undefined when none did lately. */
export async function readDatabaseBusy(redis: Redis, prefix: string): Promise<{ at: number; service: string } | undefined> {
  const raw = await redis.get(databaseBusyKey(prefix));
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as { at: number; service: string };
  } catch {
    return undefined;
  }
}

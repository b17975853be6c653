import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../../shared/errors';

/** How long a slot counts without renewal: a process that died stops renewing, and its slots free up after this. */
export const SLOT_LEASE_MS = 60_000;
/** How often a process renews the slots of its open sockets (well within a lease). */
export const SLOT_RENEW_MS = 20_000;

// Redis's clock, not the API hosts': leases taken and renewed on different hosts compare fairly.
const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the key's set; ARGV: max, lease ms, slot id. Returns {1, open} when taken, {0, open} when full. */
const ACQUIRE = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
if open >= tonumber(ARGV[1]) then return {0, open} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, open + 1}`;

/**
 * KEYS[1] the key's set; ARGV: lease ms, slot ids. Adds as well as extends (no XX): a Redis that
 * restarted empty has forgotten the open sockets, and they count again from the next renewal.
 * A slot released meanwhile stays released: renewals only name open sockets, and a release goes
 * out on the same connection after the renewal that still named it.
 */
const RENEW = `${NOW_MS}
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0`;

export type SlotOutcome = { taken: true; slot: string } | { taken: false; open: number };

export interface LiveSocketSlots {
  /** Takes a slot for a new socket of `keyId`, unless the key already holds `max` (then `open` says how many). */
  acquire(keyId: string): Promise<SlotOutcome>;
  /** Frees a closed socket's slot. */
  release(keyId: string, slot: string): Promise<void>;
  /** Extends the leases of this process's open sockets, grouped by key. */
  renew(slots: Iterable<{ keyId: string; slot: string }>): Promise<void>;
}

/**
 * Counts the open live sockets of each API key across every API process: one Redis sorted set
 * per key (`<prefix>:live-sockets:<keyId>`), a member per socket scored with the end of its
 * lease. Taking a slot is one script (prune, count, add), so concurrent upgrades on any number of
 * processes cannot go past `max`. A socket's slot is released when it closes; a process that
 * dies without releasing stops renewing, and its slots stop counting when their leases end.
 */
export function createLiveSocketSlots(redis: Redis, prefix: string, max: number): LiveSocketSlots {
  const keyOf = (keyId: string) => `${prefix}:live-sockets:${keyId}`;
  return {
    async acquire(keyId) {
      const slot = randomUUID();
      let answer: [number, number];
      try {
        answer = (await redis.eval(ACQUIRE, 1, keyOf(keyId), max, SLOT_LEASE_MS, slot)) as [number, number];
      } catch (err) {
        throw new DependencyUnavailableError('redis', 'Redis is unavailable right now, so open sockets cannot be counted; try again shortly', err);
      }
      return answer[0] === 1 ? { taken: true, slot } : { taken: false, open: answer[1] };
    },
    async release(keyId, slot) {
      await redis.zrem(keyOf(keyId), slot);
    },
    async renew(slots) {
      const byKey = new Map<string, string[]>();
      for (const { keyId, slot } of slots) {
        const ids = byKey.get(keyId);
        if (ids) ids.push(slot);
        else byKey.set(keyId, [slot]);
      }
      if (byKey.size === 0) return;
      const pipeline = redis.pipeline();
      for (const [keyId, ids] of byKey) pipeline.eval(RENEW, 1, keyOf(keyId), SLOT_LEASE_MS, ...ids);
      await pipeline.exec();
    },
  };
}

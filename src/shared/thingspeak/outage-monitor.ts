import type { Redis } from 'ioredis';
import { ThingSpeakError } from './thingspeak-error';
import { NO_OUTAGE, nextOutageState, type OutageRule, type OutageSample, type OutageState, type ThingSpeakStatus } from './outage-rule';

export interface ThingSpeakTransition {
  at: number;
  from: ThingSpeakStatus;
  to: ThingSpeakStatus;
  reason: string;
}

const MAX_TRANSITIONS_KEPT = 100;

// Compare-and-set on a version, so of the workers that evaluate the same samples exactly one
// writes the new state and, with it, the transition (kept, and published like the breaker's).
// KEYS: state hash, transitions list, events channel. ARGV: expected version, status, badSince ('' = none), transition JSON ('' = none)
const APPLY = `
local version = redis.call('HGET', KEYS[1], 'version') or '0'
if version ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', tonumber(version) + 1, 'status', ARGV[2], 'badSince', ARGV[3])
if ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[4])
  redis.call('LTRIM', KEYS[2], 0, ${MAX_TRANSITIONS_KEPT - 1})
  redis.call('PUBLISH', KEYS[3], cjson.encode({type = 'thingspeak', transition = cjson.decode(ARGV[4])}))
  return 2
end
return 1
`;

/** Failures that are ThingSpeak's as a whole; a channel's own trouble (denied, not found, throttled) is not an outage. */
export function isThingSpeakWideFailure(err: unknown): boolean {
  return err instanceof ThingSpeakError && (err.upstreamKind === 'server_error' || err.upstreamKind === 'timeout' || err.upstreamKind === 'network');
}

export function thingspeakOutageKeys(prefix: string) {
  return {
    state: `${prefix}:thingspeak:outage`,
    transitions: `${prefix}:thingspeak:outage:transitions`,
    events: `${prefix}:events`,
    bucket: (n: number) => `${prefix}:thingspeak:polls:${n}`,
  };
}

/** ThingSpeak's outage status as every process sees it (the API's /health reads it too). */
export async function readThingSpeakStatus(redis: Redis, prefix: string): Promise<ThingSpeakStatus> {
  return (await redis.hget(thingspeakOutageKeys(prefix).state, 'status')) === 'outage' ? 'outage' : 'up';
}

/**
 * Counts this worker's poll outcomes in memory, adds them to shared per-interval buckets in Redis
 * (one round trip per flush, not per poll), and moves the shared outage state by the rule in
 * outage-rule.ts. Every worker flushes and evaluates on its own timer; the version check makes one
 * of them perform each transition, which the transition notifier then turns into one
 * system.degraded / system.recovered with dependency "thingspeak".
 */
export function createThingSpeakOutageMonitor(redis: Redis, prefix: string, rule: OutageRule, now: () => number = () => Date.now()) {
  const keys = thingspeakOutageKeys(prefix);
  // A sample is the current bucket and the one before: a tenth of the window each, so a few
  // seconds at the 5 min default and still several flushes wide in tests.
  const bucketMs = Math.max(100, Math.round(rule.outageMs / 10));
  let pending: OutageSample = { ok: 0, failed: 0 };

  async function readSample(at: number): Promise<OutageSample> {
    const n = Math.floor(at / bucketMs);
    const [current, previous] = await Promise.all([redis.hmget(keys.bucket(n), 'ok', 'failed'), redis.hmget(keys.bucket(n - 1), 'ok', 'failed')]);
    return { ok: Number(current[0] ?? 0) + Number(previous[0] ?? 0), failed: Number(current[1] ?? 0) + Number(previous[1] ?? 0) };
  }

  return {
    keys,
    /** Notes one poll's outcome: `undefined` for success, else its error (only ThingSpeak-wide failures count). */
    record(err?: unknown): void {
      if (err === undefined) pending.ok++;
      else if (isThingSpeakWideFailure(err)) pending.failed++;
    },

    /** Adds what this process saw since the last flush to the shared bucket. */
    async flush(): Promise<void> {
      if (pending.ok === 0 && pending.failed === 0) return;
      const counts = pending;
      pending = { ok: 0, failed: 0 };
      const key = keys.bucket(Math.floor(now() / bucketMs));
      const multi = redis.multi();
      if (counts.ok > 0) multi.hincrby(key, 'ok', counts.ok);
      if (counts.failed > 0) multi.hincrby(key, 'failed', counts.failed);
      multi.pexpire(key, bucketMs * 4);
      await multi.exec();
    },

    /** Applies the rule to the latest sample; the transition when this call performed one. */
    async evaluate(): Promise<ThingSpeakTransition | undefined> {
      const at = now();
      const [h, sample] = await Promise.all([redis.hgetall(keys.state), readSample(at)]);
      const state: OutageState = h.status ? { status: h.status === 'outage' ? 'outage' : 'up', badSince: h.badSince ? Number(h.badSince) : null } : NO_OUTAGE;
      const next = nextOutageState(state, sample, rule, at);
      if (!next.transition && next.state.badSince === state.badSince && next.state.status === state.status) return undefined;
      const transition: ThingSpeakTransition | undefined = next.transition
        ? {
            at,
            from: state.status,
            to: next.transition,
            reason:
              next.transition === 'outage'
                ? `ThingSpeak failing: ${sample.failed} of ${sample.ok + sample.failed} recent polls failed (5xx, timeout or network) for ${Math.round((at - next.state.badSince!) / 1000)} s`
                : `ThingSpeak answering again: ${sample.ok} of ${sample.ok + sample.failed} recent polls succeeded`,
          }
        : undefined;
      const applied = await redis.eval(APPLY, 3, keys.state, keys.transitions, keys.events, h.version ?? '0', next.state.status, next.state.badSince ?? '', transition ? JSON.stringify(transition) : '');
      return applied === 2 ? transition : undefined;
    },

    async status(): Promise<ThingSpeakStatus> {
      return readThingSpeakStatus(redis, prefix);
    },

    async transitions(limit = 20): Promise<ThingSpeakTransition[]> {
      return (await redis.lrange(keys.transitions, 0, limit - 1)).map((t) => JSON.parse(t) as ThingSpeakTransition);
    },
  };
}

export type ThingSpeakOutageMonitor = ReturnType<typeof createThingSpeakOutageMonitor>;

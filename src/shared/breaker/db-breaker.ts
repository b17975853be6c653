import type { Redis } from 'ioredis';

/**
 * The database circuit breaker, shared by every worker process through Redis. Each transition is
 * one Lua script, so exactly one process performs it (and learns that it did).
 *
 *   closed --(threshold consecutive DB-unavailable failures, any process)--> open
 *   open   --(one process probes after backoff: base, 2x, 4x ... max)--> closed | open
 *
 * A success resets the count only while closed; only a probe closes an open breaker.
 */
export type BreakerState = 'closed' | 'open';

export interface BreakerSnapshot {
  state: BreakerState;
  failures: number;
  openedAt: number | null;
  nextProbeAt: number | null;
  probeAttempts: number;
  reason: string | null;
}

export interface BreakerTransition {
  at: number;
  from: BreakerState;
  to: BreakerState;
  reason: string;
}

export interface BreakerOptions {
  prefix: string;
  failureThreshold: number;
  probeBaseMs: number;
  probeMaxMs: number;
  now?: () => number;
}

const MAX_TRANSITIONS_KEPT = 100;

// Shared Lua helpers: every script that changes the state records the transition the same way.
// Keys are the same in every script that uses them: KEYS[1] state hash, KEYS[2] transitions
// list, KEYS[3] events channel.
const LUA_HELPERS = `
local function record_transition(now, from, to, reason)
  local t = cjson.encode({at = now, from = from, to = to, reason = reason})
  redis.call('LPUSH', KEYS[2], t)
  redis.call('LTRIM', KEYS[2], 0, ${MAX_TRANSITIONS_KEPT - 1})
  redis.call('PUBLISH', KEYS[3], cjson.encode({type = 'breaker', transition = cjson.decode(t)}))
end
local function open_breaker(now, probe_base_ms, reason)
  redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', now, 'nextProbeAt', now + probe_base_ms, 'probeAttempts', 0, 'reason', reason)
  record_transition(now, 'closed', 'open', reason)
end
`;

// ARGV: now, threshold, probeBaseMs, reason
const RECORD_FAILURE = `${LUA_HELPERS}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state ~= 'closed' then return {'open', tonumber(redis.call('HGET', KEYS[1], 'failures') or '0'), 0} end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures < tonumber(ARGV[2]) then return {'closed', failures, 0} end
open_breaker(tonumber(ARGV[1]), tonumber(ARGV[3]), ARGV[4])
return {'open', failures, 1}
`;

// Opens at once (a process that starts while the database is down); no-op when already open.
// ARGV: now, probeBaseMs, reason
const FORCE_OPEN = `${LUA_HELPERS}
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'open' then return 0 end
open_breaker(tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
return 1
`;

// A success resets the count only while closed.
const RECORD_SUCCESS = `
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then redis.call('HSET', KEYS[1], 'failures', 0) end
return state
`;

// KEYS[1] state hash, KEYS[2] transitions, KEYS[3] events, KEYS[4] probe lock
// ARGV: now, ok (1|0), probeBaseMs, probeMaxMs, reason, lock token
const PROBE_RESULT = `${LUA_HELPERS}
if redis.call('GET', KEYS[4]) ~= ARGV[6] then return 'lost-lock' end
redis.call('DEL', KEYS[4])
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state ~= 'open' then return 'not-open' end
local now = tonumber(ARGV[1])
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'probeAttempts', 0, 'reason', ARGV[5])
  redis.call('HDEL', KEYS[1], 'openedAt', 'nextProbeAt')
  record_transition(now, 'open', 'closed', ARGV[5])
  return 'closed'
end
local attempts = redis.call('HINCRBY', KEYS[1], 'probeAttempts', 1)
local delay = math.min(tonumber(ARGV[3]) * (2 ^ attempts), tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'nextProbeAt', now + delay, 'reason', ARGV[5])
return 'still-open'
`;

export function createDbBreaker(redis: Redis, opts: BreakerOptions) {
  const now = opts.now ?? (() => Date.now());
  const keys = {
    state: `${opts.prefix}:breaker:db`,
    transitions: `${opts.prefix}:breaker:db:transitions`,
    events: `${opts.prefix}:events`,
    probeLock: `${opts.prefix}:breaker:db:probe-lock`,
    /** Set while the poll queue's pause is the breaker's own (an operator's pause has none). */
    pollPausedByBreaker: `${opts.prefix}:breaker:db:paused-by-breaker`,
  };

  async function snapshot(): Promise<BreakerSnapshot> {
    const h = await redis.hgetall(keys.state);
    const num = (v: string | undefined) => (v === undefined ? null : Number(v));
    return {
      state: h.state === 'open' ? 'open' : 'closed',
      failures: Number(h.failures ?? 0),
      openedAt: num(h.openedAt),
      nextProbeAt: num(h.nextProbeAt),
      probeAttempts: Number(h.probeAttempts ?? 0),
      reason: h.reason ?? null,
    };
  }

  return {
    keys,
    snapshot,

    /** Counts one database-unavailable failure; `opened` is true only for the process that tripped it. */
    async recordFailure(reason: string): Promise<{ state: BreakerState; failures: number; opened: boolean }> {
      const [state, failures, opened] = (await redis.eval(RECORD_FAILURE, 3, keys.state, keys.transitions, keys.events, now(), opts.failureThreshold, opts.probeBaseMs, reason.slice(0, 200))) as [
        BreakerState,
        number,
        number,
      ];
      return { state, failures, opened: opened === 1 };
    },

    /** Opens the breaker now; true if this call opened it. */
    async forceOpen(reason: string): Promise<boolean> {
      return (await redis.eval(FORCE_OPEN, 3, keys.state, keys.transitions, keys.events, now(), opts.probeBaseMs, reason.slice(0, 200))) === 1;
    },

    async recordSuccess(): Promise<BreakerState> {
      return (await redis.eval(RECORD_SUCCESS, 1, keys.state)) as BreakerState;
    },

    /**
     * The probe lock when the breaker is open and a probe is due, else undefined. The lock expires
     * after `lockTtlMs`, so if its holder dies another process probes instead.
     */
    async acquireProbe(token: string, lockTtlMs: number): Promise<boolean> {
      const s = await snapshot();
      if (s.state !== 'open' || (s.nextProbeAt !== null && s.nextProbeAt > now())) return false;
      return (await redis.set(keys.probeLock, token, 'PX', lockTtlMs, 'NX')) === 'OK';
    },

    /** Applies a probe's outcome; 'closed' only for the process whose probe closed the breaker. */
    async probeResult(token: string, ok: boolean, reason: string): Promise<'closed' | 'still-open' | 'lost-lock' | 'not-open'> {
      return (await redis.eval(PROBE_RESULT, 4, keys.state, keys.transitions, keys.events, keys.probeLock, now(), ok ? 1 : 0, opts.probeBaseMs, opts.probeMaxMs, reason.slice(0, 200), token)) as
        | 'closed'
        | 'still-open'
        | 'lost-lock'
        | 'not-open';
    },

    /** 'half_open' while a probe holds the lock: the state /health reports. */
    async publicState(): Promise<BreakerSnapshot & { publicState: 'closed' | 'open' | 'half_open' }> {
      const s = await snapshot();
      const probing = s.state === 'open' && (await redis.exists(keys.probeLock)) === 1;
      return { ...s, publicState: s.state === 'closed' ? 'closed' : probing ? 'half_open' : 'open' };
    },

    async transitions(limit = 20): Promise<BreakerTransition[]> {
      return (await redis.lrange(keys.transitions, 0, limit - 1)).map((t) => JSON.parse(t) as BreakerTransition);
    },
  };
}

export type DbBreaker = ReturnType<typeof createDbBreaker>;

import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { Redis } from '../../shared/redis';
import { countLocallyAhead, type SharedCounts, type Standing } from './local-ahead-counts';

/** One advertised quota: its name in the RateLimit fields, the requests it allows, its window. */
export interface Policy {
  readonly name: string;
  readonly quota: number;
  readonly windowS: number;
}

/** Counted: where the caller stands. Unavailable: Redis could not count and there is no fallback. */
export type Verdict = { kind: 'counted'; limited: boolean; remaining: number; resetMs: number } | { kind: 'unavailable' };

export interface Limiter {
  readonly policy: Policy;
  /** Counts one request for `id`; limited once it goes past the quota. */
  consume(id: string): Promise<Verdict>;
  /** Reads `id`'s count without adding to it; limited once the quota is used up. */
  peek(id: string): Promise<Verdict>;
}

/**
 * How long a request waits for Redis to count it. A healthy Redis answers in well under a
 * millisecond; one that takes longer is in trouble and must not hold requests (the fallback decides).
 */
export const STORE_TIMEOUT_MS = 200;

export interface LimiterOptions {
  policy: Policy;
  /** Fails fast while disconnected (rejectIfRedisNotReady); a stalled connection is cut off by STORE_TIMEOUT_MS. */
  redis: Redis;
  /** Redis key prefix; ids are appended after a ":". */
  keyPrefix: string;
  /**
   * When Redis cannot count: 'memory' counts in this process instead (rate-limiter-flexible's
   * insurance idea: the limit holds, per process rather than across them); 'allow' lets the request through.
   */
  whenStoreFails: 'memory' | 'allow';
  /** Told of each Redis failure (not of refusals). */
  onStoreError: (err: unknown) => void;
  /** How long counts may wait in this process before they reach Redis (0: each request is counted in Redis before it is answered). */
  syncMs: number;
}

/** A counter's standing read with plain commands (the key rate-limiter-flexible writes: `<keyPrefix>:<id>`). */
async function readCount(redis: Redis, key: string): Promise<Standing | null> {
  // Like rejectIfRedisNotReady: fail at once rather than queue while disconnected.
  if (redis.status !== 'ready') throw new Error('Redis connection is not ready');
  const value = await redis.get(key);
  if (value === null) return null;
  const ttl = await redis.pttl(key);
  return { consumed: Number(value), msBeforeNext: Math.max(ttl, 0) };
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** A fixed-window counter in Redis, shared by every API process that uses the same key prefix. */
export function createLimiter(opts: LimiterOptions): Limiter {
  const { policy } = opts;
  const points = policy.quota;
  const duration = policy.windowS;
  // The fallback is ours rather than the library's insuranceLimiter so that a failure is logged and
  // 'allow' limiters can skip: both need to know that Redis, not the quota, said no.
  const store = new RLWrapperTimeouts({
    limiter: new RateLimiterRedis({ storeClient: opts.redis, keyPrefix: opts.keyPrefix, points, duration, rejectIfRedisNotReady: true }),
    timeoutMs: STORE_TIMEOUT_MS,
  });
  const memory = opts.whenStoreFails === 'memory' ? new RateLimiterMemory({ points, duration }) : undefined;

  const standingOf = (res: RateLimiterRes): Standing => ({ consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext });
  const shared: SharedCounts = {
    add: (id, n) =>
      store.consume(id, n).then(standingOf, (rejection: unknown) => {
        // The library refuses with a RateLimiterRes (the points were still added); anything else is a store failure.
        if (rejection instanceof RateLimiterRes) return standingOf(rejection);
        throw rejection;
      }),
    // Not the library's get(): it sends MULTI GET PTTL, and building an ioredis pipeline for it cost
    // more API CPU than the rest of the rate limiting. The failed-auth peek runs on every request and
    // its key rarely exists, so one GET usually answers.
    read: (id) => withDeadline(readCount(opts.redis, `${opts.keyPrefix}:${id}`), STORE_TIMEOUT_MS),
  };
  const counts =
    opts.syncMs > 0
      ? countLocallyAhead(shared, { quota: points, syncMs: opts.syncMs, onSyncError: opts.onStoreError })
      : { consume: (id: string) => shared.add(id, 1), peek: (id: string) => shared.read(id) };

  const verdict = (standing: Standing | null, limited: (consumed: number) => boolean): Verdict =>
    standing
      ? { kind: 'counted', limited: limited(standing.consumed), remaining: Math.max(points - standing.consumed, 0), resetMs: Math.max(standing.msBeforeNext, 0) }
      : { kind: 'counted', limited: false, remaining: points, resetMs: duration * 1000 };
  const pastQuota = (consumed: number) => consumed > points;
  const quotaUsed = (consumed: number) => consumed >= points;

  async function run(counted: () => Promise<Verdict>, fallback: (m: RateLimiterMemory) => Promise<Verdict>): Promise<Verdict> {
    try {
      return await counted();
    } catch (err) {
      opts.onStoreError(err);
      return memory ? fallback(memory) : { kind: 'unavailable' };
    }
  }

  return {
    policy,
    consume: (id) =>
      run(
        async () => verdict(await counts.consume(id), pastQuota),
        (m) => m.consume(id).then(standingOf, (rejection: unknown) => standingOf(rejection as RateLimiterRes)).then((s) => verdict(s, pastQuota)),
      ),
    peek: (id) =>
      run(
        async () => verdict(await counts.peek(id), quotaUsed),
        async (m) => {
          const res = await m.get(id);
          return verdict(res ? standingOf(res) : null, quotaUsed);
        },
      ),
  };
}

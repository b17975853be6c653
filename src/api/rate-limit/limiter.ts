import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from '../../shared/redis';

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

  const counted = (res: RateLimiterRes, limited: boolean): Verdict => ({
    kind: 'counted',
    limited,
    remaining: Math.max(points - res.consumedPoints, 0),
    resetMs: Math.max(res.msBeforeNext, 0),
  });

  async function run(op: (limiter: RateLimiterAbstract) => Promise<Verdict>): Promise<Verdict> {
    try {
      return await op(store);
    } catch (err) {
      opts.onStoreError(err);
      return memory ? op(memory) : { kind: 'unavailable' };
    }
  }

  return {
    policy,
    consume: (id) =>
      run((limiter) =>
        limiter.consume(id).then(
          (res) => counted(res, false),
          // The library refuses with a RateLimiterRes; anything else is a store failure.
          (rejection: unknown) => {
            if (rejection instanceof RateLimiterRes) return counted(rejection, true);
            throw rejection;
          },
        ),
      ),
    peek: (id) =>
      run(async (limiter) => {
        const res = await limiter.get(id);
        return res ? counted(res, res.consumedPoints >= points) : { kind: 'counted', limited: false, remaining: points, resetMs: duration * 1000 };
      }),
  };
}

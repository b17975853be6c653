import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Core } from '../../shared/core';
import { isAppError } from '../../shared/errors';
import { authOf, callerIdOf } from '../middleware/auth';
import { clientBucketOf } from './client-address';
import { createLimiter, type Limiter, type Verdict } from './limiter';
import { advertise, refusal, tooManyRequests } from './rate-limit-headers';
import { STRICT_ROUTES, strictRouteOf } from './strict-routes';

/** Every quota is per minute: short enough that a refused client is back soon. */
const WINDOW_S = 60;

/**
 * What the per-address limits guard (Express matches mounts case-insensitively, so this does too).
 * Health, readiness, the docs and the status page are never limited: platforms and people need them
 * most when something is wrong, and they cost no key lookup.
 */
const LIMITED_PATHS = /^\/(api\/v1|admin\/queues|metrics)(\/|$)/i;

/** A Redis outage fails every request's count: say so at most once per this long. */
const STORE_ERROR_LOG_EVERY_MS = 10_000;

export interface RateLimits {
  /** App-level, before any authentication: per client address, and the block after too many failed authentications. */
  perClient: RequestHandler;
  /** In /api/v1 after authenticate: per API key, plus the strict routes' own quotas. */
  perKey: RequestHandler;
  /** Error middleware just before the error handler: counts each 401 against the client's address. */
  countFailedAuth: ErrorRequestHandler;
}

const pass: RequestHandler = (_req, _res, next) => next();
const passError: ErrorRequestHandler = (err, _req, _res, next) => next(err);

/** Builds limiters that count in the Redis keys of their name, shared by every API process and by REST and WebSocket upgrades alike. */
function limiterFactory(core: Core) {
  const log = core.log.child({ module: 'rate-limit' });
  let loggedAt = 0;
  const onStoreError = (err: unknown) => {
    if (Date.now() - loggedAt < STORE_ERROR_LOG_EVERY_MS) return;
    loggedAt = Date.now();
    log.warn({ err }, 'rate limit store unavailable: per-address limits count in this process only, per-key limits are skipped');
  };
  return (name: string, quota: number, whenStoreFails: 'memory' | 'allow') =>
    createLimiter({ policy: { name, quota, windowS: WINDOW_S }, redis: core.redis, keyPrefix: `${core.config.queues.prefix}:rate-limit:${name}`, whenStoreFails, onStoreError, syncMs: core.config.rateLimit.syncMs });
}

const failedAuthWhy = (l: Limiter) => `more than ${l.policy.quota} failed authentications a minute from this address`;
const perIpWhy = (l: Limiter) => `more than ${l.policy.quota} a minute from this address`;

/**
 * Rate limits shared through Redis by every API process (keys under `<QUEUE_PREFIX>:rate-limit:`).
 *
 * When Redis cannot count (down, or slower than STORE_TIMEOUT_MS):
 * - the per-address limits count in this process's memory instead, so a flood of unauthenticated
 *   requests is still cut off before it reaches the database (per process, not across them);
 * - the per-key limits are skipped: the caller has a valid key, and refusing every customer because
 *   Redis is down would turn a Redis outage into an API outage.
 */
export interface RateLimitOptions {
  /**
   * True when the request's credential is already known good in this process (an API key the key
   * cache holds). Such a request skips the failed-authentication block's Redis read: the block is
   * there to stop key guessing, and a key that authenticated is no guess. A guess is never known
   * good (unknown keys are not cached), so it is still checked, and refused once the address is blocked.
   */
  knownGood?: (req: Request) => boolean;
}

export function createRateLimits(core: Core, opts: RateLimitOptions = {}): RateLimits {
  const limits = core.config.rateLimit;
  if (!limits.enabled) return { perClient: pass, perKey: pass, countFailedAuth: passError };

  const limiter = limiterFactory(core);
  const perIp = limiter('per-ip', limits.perIp, 'memory');
  const failedAuth = limiter('failed-auth', limits.failedAuthPerIp, 'memory');
  const perKey = limiter('per-key', limits.perKey, 'allow');
  const strict = new Map(STRICT_ROUTES.map((r) => [r.name, limiter(r.name, r.quota(limits), 'allow')]));

  /** Advertises every counted verdict; throws for the refusal that lasts longest. */
  function enforce(res: Response, checks: Array<{ limiter: Limiter; verdict: Verdict; why: string }>): void {
    let worst: { verdict: Extract<Verdict, { kind: 'counted' }>; why: string } | undefined;
    for (const { limiter: l, verdict, why } of checks) {
      if (verdict.kind !== 'counted') continue;
      advertise(res, l.policy, verdict);
      if (verdict.limited && (!worst || verdict.resetMs > worst.verdict.resetMs)) worst = { verdict, why };
    }
    if (worst) throw refusal(res, worst.verdict, worst.why);
  }

  const clientOf = (req: Request) => clientBucketOf(req.ip);

  return {
    perClient: async (req, res, next) => {
      if (!LIMITED_PATHS.test(req.path)) return next();
      const client = clientOf(req);
      // Both in one round trip's time. The failure count is only read here: a 401 adds to it (countFailedAuth).
      const [failures, requests] = await Promise.all([opts.knownGood?.(req) ? undefined : failedAuth.peek(client), perIp.consume(client)]);
      if (failures?.kind === 'counted' && failures.limited) {
        // Refused before authentication: an address that keeps sending bad keys costs no more key lookups.
        enforce(res, [{ limiter: failedAuth, verdict: failures, why: failedAuthWhy(failedAuth) }]);
      }
      enforce(res, [{ limiter: perIp, verdict: requests, why: perIpWhy(perIp) }]);
      next();
    },

    perKey: async (req, res, next) => {
      // The key's id (or the user's), never the key or token itself, names the bucket.
      const keyId = callerIdOf(authOf(req));
      const route = strictRouteOf(req.method, req.path);
      const routeLimiter = route ? strict.get(route.name) : undefined;
      const [general, special] = await Promise.all([perKey.consume(keyId), routeLimiter?.consume(keyId)]);
      const checks = [{ limiter: perKey, verdict: general, why: `more than ${perKey.policy.quota} a minute with this API key` }];
      if (route && routeLimiter && special) checks.push({ limiter: routeLimiter, verdict: special, why: `more than ${routeLimiter.policy.quota} ${route.what} a minute with this API key` });
      enforce(res, checks);
      next();
    },

    countFailedAuth: async (err, req, res, next) => {
      if (isAppError(err) && err.httpStatus === 401 && !res.headersSent) {
        // Counted before the 401 is sent, so the client's next request already sees it.
        const verdict = await failedAuth.consume(clientOf(req));
        if (verdict.kind === 'counted') advertise(res, failedAuth.policy, verdict);
      }
      next(err);
    },
  };
}

/** The per-address limits of REST (rate-limits.ts: perClient, countFailedAuth) for WebSocket upgrades, which never reach Express. */
export interface UpgradeRateLimits {
  /**
   * Counts an upgrade from `client` (a clientBucketOf address) as one request, before any key is
   * looked up; throws TooManyRequestsError (with retryAfterSeconds) when the address is past its
   * request quota or its failed authentications.
   */
  admit(client: string): Promise<void>;
  /** Counts a refused authentication (401) of an upgrade against the address, in the counter REST 401s add to. */
  countFailedAuth(client: string): Promise<void>;
}

/**
 * Same quotas, same Redis counters and the same Redis-outage fallback as the REST per-address
 * limits: bad keys sent over REST and over upgrades add up, and either way the address is blocked.
 */
export function createUpgradeRateLimits(core: Core): UpgradeRateLimits {
  const limits = core.config.rateLimit;
  if (!limits.enabled) return { admit: async () => undefined, countFailedAuth: async () => undefined };
  const limiter = limiterFactory(core);
  const perIp = limiter('per-ip', limits.perIp, 'memory');
  const failedAuth = limiter('failed-auth', limits.failedAuthPerIp, 'memory');

  return {
    async admit(client) {
      const [failures, requests] = await Promise.all([failedAuth.peek(client), perIp.consume(client)]);
      if (failures.kind === 'counted' && failures.limited) throw tooManyRequests(failures, failedAuthWhy(failedAuth));
      if (requests.kind === 'counted' && requests.limited) throw tooManyRequests(requests, perIpWhy(perIp));
    },
    async countFailedAuth(client) {
      await failedAuth.consume(client);
    },
  };
}

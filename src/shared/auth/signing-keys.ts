import { createLocalJWKSet, createRemoteJWKSet, errors, jwksCache, type ExportedJWKSCache, type JWKSCacheInput, type JWSHeaderParameters, type FlattenedJWSInput, type KeyLike } from 'jose';
import type { Logger } from '../logger';
import { SigningKeysUnavailableError } from './user-token-errors';

/** Keys are fetched again at least this often while the JWKS answers (a removed key stops working by then). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** A JWKS that does not answer within this is given up, so a request never hangs on it. */
export const JWKS_TIMEOUT_MS = 3_000;

export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike>;

/**
 * Supabase's public signing keys, fetched from its JWKS by jose's createRemoteJWKSet: cached
 * (refetched every JWKS_MAX_AGE_MS), and fetched again when a token names an unknown `kid`, at
 * most once per `cooldownMs` (jose's cooldownDuration). Two things are added around it:
 * - when a fetch fails (Supabase down), the keys last fetched keep verifying tokens, so signed-in
 *   users are not locked out by an outage of the JWKS alone; an unknown kid is then simply unknown;
 * - a failed fetch also starts the cooldown (jose counts only successful ones), so a flood of tokens
 *   with made-up kids cannot turn into a flood of requests to a JWKS that is down.
 * With no key ever fetched and the JWKS unreachable, verification is a 503 (SigningKeysUnavailableError).
 */
export function createSigningKeys(jwksUrl: string, opts: { cooldownMs: number; log: Logger; now?: () => number }): KeyResolver {
  const now = opts.now ?? Date.now;
  // jose writes every successfully fetched JWKS into this object (its documented jwksCache hook).
  const lastFetched: JWKSCacheInput = {};
  const remote = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: opts.cooldownMs,
    cacheMaxAge: JWKS_MAX_AGE_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [jwksCache]: lastFetched,
  });
  let lastFailureAt = Number.NEGATIVE_INFINITY;
  let fallback: { uat: number; resolve: KeyResolver } | undefined;

  function cachedKeys(): KeyResolver | undefined {
    const cache = lastFetched as Partial<ExportedJWKSCache>;
    if (!cache.jwks || typeof cache.uat !== 'number') return undefined;
    if (fallback?.uat !== cache.uat) fallback = { uat: cache.uat, resolve: createLocalJWKSet(cache.jwks) };
    return fallback.resolve;
  }

  return async (header, token) => {
    const cached = cachedKeys();
    if (now() - lastFailureAt < opts.cooldownMs) {
      if (cached) return cached(header, token);
      throw new SigningKeysUnavailableError(new Error('the last JWKS fetch failed moments ago'));
    }
    try {
      return await remote(header, token);
    } catch (err) {
      // Selecting a key from a JWKS that was fetched fine: the token's problem, not the JWKS's.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
      lastFailureAt = now();
      opts.log.warn({ err, jwksUrl, cachedKeys: cached !== undefined }, 'Supabase JWKS fetch failed: verifying with the keys fetched before');
      if (cached) return cached(header, token);
      throw new SigningKeysUnavailableError(err);
    }
  };
}

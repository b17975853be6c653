import { hashApiKey } from './api-key';
import { ApiKeyExpiredError, isExpired } from './api-key-expiry';
import type { ApiKeyRecord, ApiKeysRepository } from './api-keys.repository';
import { createLastUseRecorder } from './last-use-recorder';

/** The Redis channel on which a revoked key's id is announced to every API process. */
export function apiKeyRevocationsChannel(prefix: string): string {
  return `${prefix}:api-keys:revoked`;
}

export interface ApiKeyCache {
  /**
   * The usable key matching `key`, or undefined when it is unknown or revoked. Throws
   * ApiKeyExpiredError for a key past its expiresAt, and whatever the database throws.
   */
  authenticate(key: string): Promise<ApiKeyRecord | undefined>;
  /**
   * True when `key` authenticated in this process within the cache's TTL and has neither expired
   * nor been revoked since: what authenticate would answer from memory. No database, no side effects.
   */
  holds(key: string): boolean;
  /** Forgets a key at once (its revocation, here or announced by another process) and tells the listeners. */
  invalidate(keyId: string): void;
  /** Forgets every key: the process may have missed revocations (its Redis subscription was down), so each key is asked of the database again. */
  forgetAll(): void;
  /** Calls `listener` with every key id given to invalidate (the live hub closes its sockets); returns the unsubscribe. */
  onInvalidate(listener: (keyId: string) => void): () => void;
}

// A flood of distinct valid keys must not grow the process without bound.
const MAX_ENTRIES = 10_000;

/**
 * The one way a request's API key is checked (REST, /admin/queues, /metrics, live sockets).
 * Remembers keys that authenticated for `ttlMs`, so a dashboard's requests do not each cost a
 * database round trip. Entries are keyed by the key's hash (the key itself is never kept). Unknown
 * and revoked keys are never cached: they always reach the database. An entry's expiry is checked
 * on every hit, so a cached key stops working the moment it expires. A revocation removes the key
 * at once in the process that made it and, through Redis pub/sub, in every other API process; the
 * TTL bounds how long a key can outlive its revocation if that announcement is lost.
 * Every successful check records the key's last use (at most once a minute per key).
 */
export function createApiKeyCache(apiKeys: Pick<ApiKeysRepository, 'findByKey' | 'touchLastUsed'>, ttlMs: number, now: () => number = Date.now): ApiKeyCache {
  const byHash = new Map<string, { record: ApiKeyRecord; staleAt: number }>();
  const listeners = new Set<(keyId: string) => void>();
  const lastUse = createLastUseRecorder((keyId) => apiKeys.touchLastUsed(keyId), now);

  function usable(hash: string, record: ApiKeyRecord): ApiKeyRecord {
    if (isExpired(record, now())) {
      byHash.delete(hash);
      throw new ApiKeyExpiredError();
    }
    lastUse.record(record.id);
    return record;
  }

  return {
    async authenticate(key) {
      const hash = hashApiKey(key);
      const hit = byHash.get(hash);
      if (hit && hit.staleAt > now()) return usable(hash, hit.record);
      const record = await apiKeys.findByKey(key);
      if (!record) {
        byHash.delete(hash);
        return undefined;
      }
      if (ttlMs > 0) {
        if (byHash.size >= MAX_ENTRIES) byHash.delete(byHash.keys().next().value!);
        byHash.set(hash, { record, staleAt: now() + ttlMs });
      }
      return usable(hash, record);
    },
    holds(key) {
      const hit = byHash.get(hashApiKey(key));
      return hit !== undefined && hit.staleAt > now() && !isExpired(hit.record, now());
    },
    invalidate(keyId) {
      for (const [hash, entry] of byHash) if (entry.record.id === keyId) byHash.delete(hash);
      for (const listener of listeners) listener(keyId);
    },
    forgetAll() {
      byHash.clear();
    },
    onInvalidate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

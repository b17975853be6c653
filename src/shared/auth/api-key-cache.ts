import { hashApiKey } from './api-key';
import type { ApiKeyRecord } from './api-keys.repository';

/** The Redis channel on which a revoked key's id is announced to every API process. */
export function apiKeyRevocationsChannel(prefix: string): string {
  return `${prefix}:api-keys:revoked`;
}

export interface ApiKeyCache {
  authenticate(key: string): Promise<ApiKeyRecord | undefined>;
  /** Forgets a key at once (its revocation, here or announced by another process). */
  invalidate(keyId: string): void;
}

// A flood of distinct valid keys must not grow the process without bound.
const MAX_ENTRIES = 10_000;

/**
 * Remembers keys that authenticated for `ttlMs`, so a dashboard's requests do not each cost a
 * database round trip. Entries are keyed by the key's hash (the key itself is never kept). Unknown
 * and revoked keys are never cached: they always reach the database. A revocation removes the key
 * at once in the process that made it and, through Redis pub/sub, in every other API process; the
 * TTL bounds how long a key can outlive its revocation if that announcement is lost.
 */
export function createApiKeyCache(lookup: (key: string) => Promise<ApiKeyRecord | undefined>, ttlMs: number, now: () => number = Date.now): ApiKeyCache {
  const byHash = new Map<string, { record: ApiKeyRecord; expiresAt: number }>();
  return {
    async authenticate(key) {
      if (ttlMs === 0) return lookup(key);
      const hash = hashApiKey(key);
      const hit = byHash.get(hash);
      if (hit && hit.expiresAt > now()) return hit.record;
      const record = await lookup(key);
      if (!record) {
        byHash.delete(hash);
        return undefined;
      }
      if (byHash.size >= MAX_ENTRIES) byHash.delete(byHash.keys().next().value!);
      byHash.set(hash, { record, expiresAt: now() + ttlMs });
      return record;
    },
    invalidate(keyId) {
      for (const [hash, entry] of byHash) if (entry.record.id === keyId) byHash.delete(hash);
    },
  };
}

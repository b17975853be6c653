import { sameSecret } from '../crypto/same-secret';
import { isDatabaseUnavailable } from '../db/db-errors';
import type { ApiKeyRecord } from './api-keys.repository';

/** Stands for ADMIN_API_KEY when the database cannot be asked about it. */
export const ADMIN_API_KEY_RECORD: ApiKeyRecord = Object.freeze({
  id: '00000000-0000-0000-0000-000000000000',
  prefix: 'admin',
  label: 'ADMIN_API_KEY',
  role: 'superadmin',
  distributorId: null,
  communityId: null,
  createdAt: new Date(0).toISOString(),
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
});

/**
 * `authenticateKey`, except that while the database is unavailable the configured ADMIN_API_KEY
 * (compared in constant time) is accepted as a superadmin: the operations pages (/admin/queues,
 * /metrics) are what operators need most during an outage. With the database up, the stored row
 * decides, so a revoked ADMIN_API_KEY is refused like any other revoked key; every other key gets
 * the database error (a 503).
 */
export function withAdminKeyFallback(
  authenticateKey: (key: string) => Promise<ApiKeyRecord | undefined>,
  adminApiKey: string | undefined,
): (key: string) => Promise<ApiKeyRecord | undefined> {
  return async (key) => {
    try {
      return await authenticateKey(key);
    } catch (err) {
      if (isDatabaseUnavailable(err) && sameSecret(key, adminApiKey)) return ADMIN_API_KEY_RECORD;
      throw err;
    }
  };
}

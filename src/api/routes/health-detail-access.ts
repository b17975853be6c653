import type { ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { withAdminKeyFallback } from '../../shared/auth/admin-key-fallback';
import { sameSecret } from '../../shared/crypto/same-secret';
import { bearerToken } from '../../shared/metrics/metrics-token';

// API keys are 16 to 256 characters (middleware/auth.ts); anything else is not looked up.
const API_KEY_LENGTH = { min: 16, max: 256 };
// /health must answer fast whatever the database does.
const LOOKUP_DEADLINE_MS = 1_000;
const TIMED_OUT = Symbol('timed out');

/**
 * Whether a /health caller may see the detailed report: only with a superadmin key as
 * "Authorization: Bearer <key>", checked by `authenticateKey` (the API's key check). While the
 * database fails or does not answer within a second, ADMIN_API_KEY stands in (as on /admin/queues):
 * an outage is when the detail matters. Never an error: a missing, unknown, revoked or expired key,
 * another role or an unanswered lookup all mean the public view, so /health never fails on credentials.
 */
export function healthDetailAccess(authenticateKey: (key: string) => Promise<ApiKeyRecord | undefined>, adminApiKey: string | undefined) {
  const lookup = withAdminKeyFallback(authenticateKey, adminApiKey);
  return async (authorization: string | undefined): Promise<boolean> => {
    const token = bearerToken(authorization);
    if (!token || token.length < API_KEY_LENGTH.min || token.length > API_KEY_LENGTH.max) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), LOOKUP_DEADLINE_MS)));
      const record = await Promise.race([lookup(token), deadline]);
      if (record === TIMED_OUT) return sameSecret(token, adminApiKey);
      return record?.role === 'superadmin';
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
}

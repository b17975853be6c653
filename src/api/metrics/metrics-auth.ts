import type { NextFunction, Request, Response } from 'express';
import type { Core } from '../../shared/core';
import type { ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { scopeOf } from '../../shared/auth/api-keys.repository';
import { createApiKeyCache } from '../../shared/auth/api-key-cache';
import { withAdminKeyFallback } from '../../shared/auth/admin-key-fallback';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors';
import { bearerToken, isMetricsToken } from '../../shared/metrics/metrics-token';

// API keys are 16 to 256 characters (see middleware/auth.ts); anything else is not looked up.
const API_KEY_LENGTH = { min: 16, max: 256 };

/**
 * /metrics is on the public API port, so it needs a credential: METRICS_TOKEN (for a scraper,
 * and it works while the database is down) or a superadmin API key, checked as the API checks it
 * (`authenticateKey`: the process's key cache, so revocation and expiry apply; ADMIN_API_KEY also
 * works while the database is down). 401 without one, 403 for another role; the JSON error body is the usual one.
 */
export function requireMetricsReader(
  core: Core,
  authenticateKey: (key: string) => Promise<ApiKeyRecord | undefined> = createApiKeyCache(core.repos.apiKeys, 0).authenticate,
) {
  const authenticate = withAdminKeyFallback(authenticateKey, core.config.api.adminApiKey);
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new UnauthorizedError('Reading metrics needs "Authorization: Bearer <METRICS_TOKEN or a superadmin API key>"');
    if (isMetricsToken(token, core.config.metrics.token)) return next();
    const key = token.length >= API_KEY_LENGTH.min && token.length <= API_KEY_LENGTH.max ? await authenticate(token) : undefined;
    if (!key) throw new UnauthorizedError('The metrics token or API key is unknown or revoked');
    if (scopeOf(key).role !== 'superadmin') throw new ForbiddenError('Only METRICS_TOKEN or a superadmin API key may read metrics');
    next();
  };
}

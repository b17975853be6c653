import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { scopeOf } from '../../shared/auth/api-keys.repository';
import { ApiKeyExpiredError } from '../../shared/auth/api-key-expiry';
import { withAdminKeyFallback } from '../../shared/auth/admin-key-fallback';
import { UnauthorizedError } from '../../shared/errors';

/** What the browser shows in its login prompt; the realm also scopes the cached credentials. */
export const ADMIN_REALM = 'Evara admin';

const BEARER = /^Bearer\s+(\S{16,256})$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i;

/**
 * The API key in an Authorization header: "Bearer <key>" (scripts) or HTTP Basic with the key as
 * the password and any user name (a browser's login prompt: an admin UI cannot add a Bearer
 * header to its own page loads).
 */
export function apiKeyFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = BEARER.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = BASIC.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  return password.length >= 16 && password.length <= 256 ? password : undefined;
}

/**
 * Authenticates an admin UI request by API key through the API's own key check (`authenticateKey`:
 * the process's key cache, so revocation and expiry apply) and attaches its scope. While the
 * database is down only ADMIN_API_KEY gets in (see admin-key-fallback.ts). Refusals are 401 with a
 * Basic challenge so a browser asks for the key; the key itself is never logged or echoed.
 */
export function adminAuth(authenticateKey: (key: string) => Promise<ApiKeyRecord | undefined>, adminApiKey?: string) {
  const authenticate = withAdminKeyFallback(authenticateKey, adminApiKey);
  const challenge = (res: Response) => res.setHeader('WWW-Authenticate', `Basic realm="${ADMIN_REALM}", charset="UTF-8"`);
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = apiKeyFromAuthorization(req.headers.authorization);
    let record: ApiKeyRecord | undefined;
    try {
      record = key ? await authenticate(key) : undefined;
    } catch (err) {
      if (err instanceof ApiKeyExpiredError) challenge(res);
      throw err;
    }
    if (!record) {
      challenge(res);
      throw new UnauthorizedError('An API key is required: sign in with any user name and the API key as the password, or send "Authorization: Bearer <key>"');
    }
    // API keys only: a signed-in user's token never opens the board (README, Security model).
    req.auth = { kind: 'api_key', key: record, scope: scopeOf(record) };
    next();
  };
}

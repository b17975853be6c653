import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { scopeOf } from '../../shared/auth/api-keys.repository';
import type { Scope } from '../../shared/auth/scope';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors';

export interface AuthContext {
  key: ApiKeyRecord;
  scope: Scope;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

const BEARER = /^Bearer\s+(\S{16,256})$/i;

/** Requires "Authorization: Bearer <api key>" and attaches the key's scope to the request. */
export function authenticate(authenticateKey: (key: string) => Promise<ApiKeyRecord | undefined>) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (!header) throw new UnauthorizedError();
    const match = BEARER.exec(header);
    if (!match?.[1]) throw new UnauthorizedError('Malformed Authorization header: expected "Bearer <api key>"');
    const key = await authenticateKey(match[1]);
    if (!key) throw new UnauthorizedError('The API key is unknown or revoked');
    req.auth = { key, scope: scopeOf(key) };
    next();
  };
}

export function authOf(req: Request): AuthContext {
  if (!req.auth) throw new UnauthorizedError();
  return req.auth;
}

/** Who acted, as audit entries and alert histories name them: the key's label and its prefix. */
export function actorOf(auth: AuthContext): { keyId: string; label: string } {
  return { keyId: auth.key.id, label: `${auth.key.label} (${auth.key.prefix})` };
}

export function requireRole(req: Request, ...roles: Scope['role'][]): AuthContext {
  const auth = authOf(req);
  if (!roles.includes(auth.scope.role)) {
    throw new ForbiddenError(`This action needs one of the roles: ${roles.join(', ')} (your key is ${auth.scope.role})`);
  }
  return auth;
}

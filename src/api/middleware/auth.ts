import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { scopeOf } from '../../shared/auth/api-keys.repository';
import type { Scope } from '../../shared/auth/scope';
import type { UserRecord } from '../../shared/auth/users.repository';
import type { UserSignIn } from '../../shared/auth/user-sign-in';
import { looksLikeJwt } from '../../shared/auth/user-tokens';
import type { AuditActor } from '../../shared/audit/audit-log.repository';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors';
import type { Principal } from '../../shared/tenancy/principal';

/** Who sent the request: an API key, or a person signed in with a Supabase access token. Same scope rules for both. */
export type AuthContext =
  | { kind: 'api_key'; key: ApiKeyRecord; scope: Scope }
  | { kind: 'user'; user: UserRecord; email: string | null; tokenExp: number; scope: Scope };

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

// API keys are short; a Supabase access token with its metadata can be a few kilobytes.
const BEARER = /^Bearer\s+(\S{16,16384})$/i;
const MAX_API_KEY_LENGTH = 256;

export interface Authenticators {
  /** The process's API key check (unknown and revoked: undefined; expired: throws). */
  apiKey: (key: string) => Promise<ApiKeyRecord | undefined>;
  /** Supabase sign-in; absent when neither SUPABASE_URL nor SUPABASE_JWT_SECRET is set (API keys only). */
  userToken?: UserSignIn;
}

/** The scope a user's role gives it (the same as an API key's with that role and ids). */
export function scopeOfUser(user: UserRecord): Scope {
  return scopeOf(user);
}

/**
 * Requires "Authorization: Bearer <api key | access token>" and attaches who it is and its scope.
 * A JWT-shaped credential is a Supabase access token when sign-in is configured; otherwise the
 * API behaves as before users existed (everything is an API key).
 */
export function authenticate(authn: Authenticators) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    req.auth = await authenticateHeader(req.headers.authorization, authn);
    next();
  };
}

/** The credential of a well-formed "Bearer ..." header, or undefined. */
export function bearerCredentialOf(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/** The AuthContext of an Authorization header (REST and the live socket's upgrade share it). */
export async function authenticateHeader(header: string | undefined, authn: Authenticators): Promise<AuthContext> {
  if (!header) throw new UnauthorizedError();
  const credential = bearerCredentialOf(header);
  if (!credential) throw new UnauthorizedError('Malformed Authorization header: expected "Bearer <api key or access token>"');
  if (authn.userToken && looksLikeJwt(credential)) {
    const signedIn = await authn.userToken(credential);
    return { kind: 'user', user: signedIn.user, email: signedIn.email, tokenExp: signedIn.exp, scope: scopeOfUser(signedIn.user) };
  }
  if (credential.length > MAX_API_KEY_LENGTH) {
    throw new UnauthorizedError(
      authn.userToken ? 'Malformed Authorization header: expected "Bearer <api key or access token>"' : 'This API accepts API keys only: sign-in tokens are not configured here',
    );
  }
  const key = await authn.apiKey(credential);
  if (!key) throw new UnauthorizedError('The API key is unknown or revoked');
  return { kind: 'api_key', key, scope: scopeOf(key) };
}

export function authOf(req: Request): AuthContext {
  if (!req.auth) throw new UnauthorizedError();
  return req.auth;
}

/** The id that names a caller in rate-limit buckets, live-socket slots and tickets: the key id as before, "user:<id>" for a user. */
export function callerIdOf(auth: AuthContext): string {
  return auth.kind === 'api_key' ? auth.key.id : `user:${auth.user.id}`;
}

/** Who acted, as audit entries and alert histories name them: the key's label and prefix, or the user's email and id. */
export function actorOf(auth: AuthContext): AuditActor {
  if (auth.kind === 'api_key') return { keyId: auth.key.id, label: `${auth.key.label} (${auth.key.prefix})` };
  return { keyId: null, userId: auth.user.id, label: `user ${auth.email ?? auth.user.label ?? 'without email'} (${auth.user.id})` };
}

/** Who creates a row: it decides who may change it later (tenancy/change-permission.ts). */
export function principalOf(auth: AuthContext): Principal {
  return auth.kind === 'api_key' ? { keyId: auth.key.id, userId: null, role: auth.scope.role } : { keyId: null, userId: auth.user.id, role: auth.scope.role };
}

export function requireRole(req: Request, ...roles: Scope['role'][]): AuthContext {
  const auth = authOf(req);
  if (!roles.includes(auth.scope.role)) {
    const who = auth.kind === 'api_key' ? 'your key is' : 'your user is';
    throw new ForbiddenError(`This action needs one of the roles: ${roles.join(', ')} (${who} ${auth.scope.role})`);
  }
  return auth;
}

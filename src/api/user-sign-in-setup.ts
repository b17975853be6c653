import type { Core } from '../shared/core';
import { createUserSignIn, type UserSignIn } from '../shared/auth/user-sign-in';
import { createUserTokenVerifier } from '../shared/auth/user-tokens';

/**
 * The process's Supabase sign-in (one JWKS cache per process, shared by REST and the live socket),
 * or undefined when it is not configured: the API then takes API keys only, as before users existed.
 */
export function createUserSignInOf(core: Core): UserSignIn | undefined {
  const cfg = core.config.userAuth;
  if (!cfg) return undefined;
  const log = core.log.child({ module: 'user-sign-in' });
  return createUserSignIn({ verifier: createUserTokenVerifier(cfg, log), users: core.repos.users, trustAppMetadata: cfg.trustAppMetadata, log });
}

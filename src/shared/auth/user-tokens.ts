import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWSHeaderParameters, type FlattenedJWSInput, type KeyLike } from 'jose';
import type { UserAuthConfig } from '../config';
import type { Logger } from '../logger';
import { createSigningKeys } from './signing-keys';
import { TokenRefusedError } from './user-token-errors';

/** Supabase's signing-key algorithms (ES256 by default, RS256 possible) and, with SUPABASE_JWT_SECRET, the legacy HS256. */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'] as const;
export const LEGACY_ALGORITHM = 'HS256';
/** Clocks of Supabase and this API may disagree by this much on exp and nbf. */
export const CLOCK_TOLERANCE_S = 30;

/** Three base64url parts: a JWT, never an API key (those have no dots). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential);
}

/** What this API takes from a verified access token. */
export interface VerifiedUserToken {
  /** The Supabase user id. */
  sub: string;
  email: string | null;
  /** Seconds since the epoch. */
  exp: number;
  /** Only Supabase's service role can write it (never user_metadata, which the user can edit). */
  appMetadata: unknown;
}

export interface UserTokenVerifier {
  /** The token's claims, or throws TokenRefusedError (401, with a code that says why) or SigningKeysUnavailableError (503). */
  verify(token: string): Promise<VerifiedUserToken>;
}

function refusalOf(err: unknown): TokenRefusedError | undefined {
  if (err instanceof errors.JWTExpired) return new TokenRefusedError('TOKEN_EXPIRED');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new TokenRefusedError('TOKEN_WRONG_ISSUER');
    if (err.claim === 'aud') return new TokenRefusedError('TOKEN_WRONG_AUDIENCE');
    if (err.claim === 'nbf') return new TokenRefusedError('TOKEN_NOT_YET_VALID');
    return new TokenRefusedError('TOKEN_CLAIMS_INVALID', `"${err.claim}" ${err.reason === 'missing' ? 'is missing' : 'is invalid'}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new TokenRefusedError('TOKEN_ALGORITHM_NOT_ALLOWED');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenRefusedError('TOKEN_SIGNATURE_INVALID');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return new TokenRefusedError('TOKEN_KEY_UNKNOWN');
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid || err instanceof errors.JOSENotSupported || err instanceof errors.JWKInvalid) {
    return new TokenRefusedError('TOKEN_MALFORMED');
  }
  return undefined;
}

/**
 * Verifies Supabase access tokens locally with jose: signature (JWKS keys for ES256/RS256, the
 * legacy secret for HS256 when SUPABASE_JWT_SECRET is set), an algorithm allow-list checked
 * before any key is looked up (so `none`, or HS256 signed with a public key, never reaches a
 * key), iss = <SUPABASE_URL>/auth/v1, aud, exp and nbf with CLOCK_TOLERANCE_S.
 */
export function createUserTokenVerifier(cfg: UserAuthConfig, log: Logger): UserTokenVerifier {
  const algorithms: string[] = [...ASYMMETRIC_ALGORITHMS, ...(cfg.jwtSecret ? [LEGACY_ALGORITHM] : [])];
  const signingKeys = createSigningKeys(cfg.jwksUrl, { cooldownMs: cfg.jwksCooldownMs, log });
  const secret = cfg.jwtSecret ? new TextEncoder().encode(cfg.jwtSecret) : undefined;
  const keyFor = (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike | Uint8Array> =>
    header.alg === LEGACY_ALGORITHM && secret ? Promise.resolve(secret) : signingKeys(header, token);

  return {
    async verify(token) {
      if (!looksLikeJwt(token)) throw new TokenRefusedError('TOKEN_MALFORMED');
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new TokenRefusedError('TOKEN_MALFORMED');
      }
      if (typeof alg !== 'string' || !algorithms.includes(alg)) throw new TokenRefusedError('TOKEN_ALGORITHM_NOT_ALLOWED');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms,
          issuer: cfg.issuer,
          audience: cfg.audience,
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        throw refusalOf(err) ?? err;
      }
      if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) throw new TokenRefusedError('TOKEN_CLAIMS_INVALID', '"sub" must be a user id (uuid)');
      return {
        sub: payload.sub.toLowerCase(),
        email: typeof payload.email === 'string' && payload.email !== '' ? payload.email : null,
        exp: payload.exp!,
        appMetadata: payload.app_metadata,
      };
    },
  };
}

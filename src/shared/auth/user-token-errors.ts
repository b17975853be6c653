import { AppError } from '../errors';

/** Why an access token was refused: each is a 401 with its own code, so a client (and a test) can tell them apart. */
export const TOKEN_REFUSALS = {
  TOKEN_MALFORMED: 'The access token is not a well-formed JWT',
  TOKEN_ALGORITHM_NOT_ALLOWED: 'The access token is signed with an algorithm this API does not accept',
  TOKEN_SIGNATURE_INVALID: 'The access token signature is invalid',
  TOKEN_KEY_UNKNOWN: 'The access token is signed with a key this API does not know',
  TOKEN_EXPIRED: 'The access token has expired: sign in again (or refresh the session)',
  TOKEN_NOT_YET_VALID: 'The access token is not valid yet (nbf)',
  TOKEN_WRONG_ISSUER: 'The access token was issued by another project (iss)',
  TOKEN_WRONG_AUDIENCE: 'The access token is meant for another audience (aud)',
  TOKEN_CLAIMS_INVALID: 'The access token lacks a required claim or has one of the wrong form',
} as const;

export type TokenRefusalCode = keyof typeof TOKEN_REFUSALS;

export class TokenRefusedError extends AppError {
  constructor(code: TokenRefusalCode, detail?: string) {
    super(detail ? `${TOKEN_REFUSALS[code]}: ${detail}` : TOKEN_REFUSALS[code], { code, kind: 'user', httpStatus: 401 });
  }
}

/** 403 USER_NOT_PROVISIONED: the token is valid, but nobody gave its user a role here. */
export class UserNotProvisionedError extends AppError {
  constructor() {
    super('You are signed in, but this API has no user for you yet: ask an administrator to add you (POST /api/v1/users with your user id)', {
      code: 'USER_NOT_PROVISIONED',
      kind: 'user',
      httpStatus: 403,
    });
  }
}

/** 403 USER_DISABLED: the user exists here and was disabled. */
export class UserDisabledError extends AppError {
  constructor() {
    super('Your user is disabled: ask an administrator to enable it', { code: 'USER_DISABLED', kind: 'user', httpStatus: 403 });
  }
}

/** 503 AUTH_KEYS_UNAVAILABLE: Supabase's JWKS could not be fetched and no key was ever fetched. */
export class SigningKeysUnavailableError extends AppError {
  readonly retryAfterSeconds = 10;
  constructor(cause: unknown) {
    super('The sign-in keys (Supabase JWKS) cannot be fetched right now; try again shortly', { code: 'AUTH_KEYS_UNAVAILABLE', kind: 'operational', httpStatus: 503, cause });
  }
}

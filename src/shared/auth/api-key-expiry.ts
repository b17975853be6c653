import { AppError } from '../errors';

/** The latest expiry a new key may be given: a key that must outlive this is a key nobody rotates. */
export const MAX_API_KEY_LIFETIME_MS = 2 * 365 * 24 * 60 * 60 * 1000;

/** 401 API_KEY_EXPIRED: the key is known and was not revoked, but its expiresAt has passed. */
export class ApiKeyExpiredError extends AppError {
  constructor() {
    super('The API key has expired: ask for a new one', { code: 'API_KEY_EXPIRED', kind: 'user', httpStatus: 401 });
  }
}

export function isExpired(key: { expiresAt: string | null }, nowMs: number): boolean {
  return key.expiresAt !== null && Date.parse(key.expiresAt) <= nowMs;
}

/**
 * How the server ends a live socket on purpose (4000-4999 are the application's own codes).
 * 4401 and 4402: do not reconnect with the same key (or user); 4408 (maximum age, or the user's
 * token expired) and 4409 (the user's role or scope changed): reconnect with a new ticket;
 * 1001: this server is going away, reconnect (another instance answers).
 */
export const LIVE_CLOSE = {
  keyRevoked: { code: 4401, reason: 'api key revoked' },
  keyExpired: { code: 4402, reason: 'api key expired' },
  userRemoved: { code: 4401, reason: 'user deleted or disabled' },
  userChanged: { code: 4409, reason: 'user role or scope changed: reconnect with a new ticket' },
  maxAge: { code: 4408, reason: 'maximum connection age reached: reconnect with a new ticket' },
  shuttingDown: { code: 1001, reason: 'server shutting down' },
} as const;

export type LiveCloseReason = (typeof LIVE_CLOSE)[keyof typeof LIVE_CLOSE];

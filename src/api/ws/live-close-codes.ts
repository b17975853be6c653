/**
 * How the server ends a live socket on purpose (4000-4999 are the application's own codes).
 * 4401 and 4402: do not reconnect with the same key; 4408: reconnect at once with a new ticket;
 * 1001: this server is going away, reconnect (another instance answers).
 */
export const LIVE_CLOSE = {
  keyRevoked: { code: 4401, reason: 'api key revoked' },
  keyExpired: { code: 4402, reason: 'api key expired' },
  maxAge: { code: 4408, reason: 'maximum connection age reached: reconnect with a new ticket' },
  shuttingDown: { code: 1001, reason: 'server shutting down' },
} as const;

export type LiveCloseReason = (typeof LIVE_CLOSE)[keyof typeof LIVE_CLOSE];

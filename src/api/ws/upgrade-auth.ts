import type { IncomingMessage } from 'node:http';
import { scopeOf, type ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { ApiKeyExpiredError, isExpired } from '../../shared/auth/api-key-expiry';
import type { Scope } from '../../shared/auth/scope';
import { isDatabaseUnavailable } from '../../shared/db/db-errors';
import { DependencyUnavailableError, UnauthorizedError } from '../../shared/errors';
import type { WsTicketStore } from './ws-tickets';

/** Who is on the other end of a live socket. */
export interface LiveIdentity {
  keyId: string;
  scope: Scope;
}

const BEARER = /^Bearer\s+(\S{16,256})$/i;
// Tickets are 32 random bytes in base64url; anything else is not worth a Redis round trip.
const TICKET = /^[A-Za-z0-9_-]{20,128}$/;
const BAD_TICKET = 'The ticket is unknown, expired or already used: get a new one from POST /api/v1/ws/tickets';

async function fromDatabase<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new DependencyUnavailableError('database', 'The database is unavailable right now; try again shortly', err);
    throw err;
  }
}

async function fromRedis<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    // The only Redis command here is GETDEL: its failures all mean Redis cannot be used right now.
    throw new DependencyUnavailableError('redis', 'Redis is unavailable right now; try again shortly', err);
  }
}

export interface UpgradeAuthDeps {
  /** The API's key check (the process's key cache): unknown and revoked keys are undefined, expired ones throw. */
  authenticateKey: (key: string) => Promise<ApiKeyRecord | undefined>;
  findKeyById: (id: string) => Promise<ApiKeyRecord | undefined>;
  tickets: WsTicketStore;
}

/**
 * Authenticates a WebSocket upgrade before it completes: "Authorization: Bearer <api key>" (scripts)
 * or "?ticket=" (browsers). Throws UnauthorizedError or ApiKeyExpiredError, or
 * DependencyUnavailableError when the database or Redis cannot answer, so the caller can refuse
 * with 401 or 503.
 */
export async function authenticateUpgrade(req: IncomingMessage, deps: UpgradeAuthDeps): Promise<LiveIdentity> {
  const header = req.headers.authorization;
  if (header) {
    const match = BEARER.exec(header);
    if (!match?.[1]) throw new UnauthorizedError('Malformed Authorization header: expected "Bearer <api key>"');
    const key = await fromDatabase(() => deps.authenticateKey(match[1]!));
    if (!key) throw new UnauthorizedError('The API key is unknown or revoked');
    return { keyId: key.id, scope: scopeOf(key) };
  }

  const ticket = new URL(req.url ?? '/', 'http://localhost').searchParams.get('ticket');
  if (!ticket) throw new UnauthorizedError('Authentication is required: send "Authorization: Bearer <api key>" or ?ticket= from POST /api/v1/ws/tickets');
  if (!TICKET.test(ticket)) throw new UnauthorizedError(BAD_TICKET);
  const keyId = await fromRedis(() => deps.tickets.redeem(ticket));
  if (!keyId) throw new UnauthorizedError(BAD_TICKET);
  // The key may have been revoked, or have expired, since the ticket was issued.
  const key = await fromDatabase(() => deps.findKeyById(keyId));
  if (!key || key.revokedAt) throw new UnauthorizedError('The API key the ticket was issued for is unknown or revoked');
  if (isExpired(key, Date.now())) throw new ApiKeyExpiredError();
  return { keyId: key.id, scope: scopeOf(key) };
}

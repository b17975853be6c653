import type { IncomingMessage } from 'node:http';
import { scopeOf, type ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { ApiKeyExpiredError, isExpired } from '../../shared/auth/api-key-expiry';
import type { Scope } from '../../shared/auth/scope';
import type { UserRecord } from '../../shared/auth/users.repository';
import { TokenRefusedError, UserDisabledError } from '../../shared/auth/user-token-errors';
import { isDatabaseUnavailable } from '../../shared/db/db-errors';
import { DependencyUnavailableError, isAppError, UnauthorizedError } from '../../shared/errors';
import { authenticateHeader, type Authenticators } from '../middleware/auth';
import type { WsTicketStore } from './ws-tickets';

/** Who is on the other end of a live socket. */
export interface LiveIdentity {
  kind: 'api_key' | 'user';
  /** The key id or the user id. */
  id: string;
  /** Names the caller in socket slots and logs: the key id, or "user:<id>" (as in rate limits). */
  callerId: string;
  scope: Scope;
  /** A user's socket ends when its token does (ms since the epoch); keys have no such end. */
  closesAtMs?: number;
}

// Tickets are 32 random bytes in base64url; anything else is not worth a Redis round trip.
const TICKET = /^[A-Za-z0-9_-]{20,128}$/;
const BAD_TICKET = 'The ticket is unknown, expired or already used: get a new one from POST /api/v1/ws/tickets';

async function fromDatabase<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    // Already an answer (a token refusal, or the JWKS's 503, whose cause may look like a refused connection).
    if (isAppError(err)) throw err;
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
  /** The same checks as REST: the process's key cache and, when configured, Supabase sign-in. */
  authenticators: Authenticators;
  findKeyById: (id: string) => Promise<ApiKeyRecord | undefined>;
  findUserById: (id: string) => Promise<UserRecord | undefined>;
  tickets: WsTicketStore;
}

const keyIdentity = (key: ApiKeyRecord): LiveIdentity => ({ kind: 'api_key', id: key.id, callerId: key.id, scope: scopeOf(key) });
const userIdentity = (user: UserRecord, tokenExp: number): LiveIdentity => ({ kind: 'user', id: user.id, callerId: `user:${user.id}`, scope: scopeOf(user), closesAtMs: tokenExp * 1000 });

/**
 * Authenticates a WebSocket upgrade before it completes: "Authorization: Bearer <api key or
 * access token>" (scripts) or "?ticket=" (browsers). Throws the same 401 / 403 errors as REST
 * (UnauthorizedError, ApiKeyExpiredError, TokenRefusedError, USER_*), or DependencyUnavailableError
 * when the database or Redis cannot answer, so the caller can refuse with that status.
 */
export async function authenticateUpgrade(req: IncomingMessage, deps: UpgradeAuthDeps): Promise<LiveIdentity> {
  const header = req.headers.authorization;
  if (header) {
    const auth = await fromDatabase(() => authenticateHeader(header, deps.authenticators));
    return auth.kind === 'api_key' ? keyIdentity(auth.key) : userIdentity(auth.user, auth.tokenExp);
  }

  const ticket = new URL(req.url ?? '/', 'http://localhost').searchParams.get('ticket');
  if (!ticket) throw new UnauthorizedError('Authentication is required: send "Authorization: Bearer <api key or access token>" or ?ticket= from POST /api/v1/ws/tickets');
  if (!TICKET.test(ticket)) throw new UnauthorizedError(BAD_TICKET);
  const holder = await fromRedis(() => deps.tickets.redeem(ticket));
  if (!holder) throw new UnauthorizedError(BAD_TICKET);
  if (holder.kind === 'user') {
    // The user may have been deleted or disabled, and the token may have expired, since the ticket was issued.
    if (holder.tokenExp * 1000 <= Date.now()) throw new TokenRefusedError('TOKEN_EXPIRED');
    const user = await fromDatabase(() => deps.findUserById(holder.userId));
    if (!user) throw new UnauthorizedError('The user the ticket was issued for no longer exists');
    if (user.disabledAt) throw new UserDisabledError();
    return userIdentity(user, holder.tokenExp);
  }
  // The key may have been revoked, or have expired, since the ticket was issued.
  const key = await fromDatabase(() => deps.findKeyById(holder.keyId));
  if (!key || key.revokedAt) throw new UnauthorizedError('The API key the ticket was issued for is unknown or revoked');
  if (isExpired(key, Date.now())) throw new ApiKeyExpiredError();
  return keyIdentity(key);
}

import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long a ticket may wait between issue and the WebSocket upgrade. */
export const WS_TICKET_TTL_S = 60;

/** Who a ticket was issued for: an API key, or a user with the expiry of the token that asked (seconds). */
export type TicketHolder = { kind: 'api_key'; keyId: string } | { kind: 'user'; userId: string; tokenExp: number };

// Stored as "<key id>" (as before users existed, so tickets issued by an older process still redeem) or "user:<id>:<exp>".
const encode = (h: TicketHolder): string => (h.kind === 'api_key' ? h.keyId : `user:${h.userId}:${h.tokenExp}`);

function decode(raw: string): TicketHolder | undefined {
  if (!raw.startsWith('user:')) return { kind: 'api_key', keyId: raw };
  const [, userId, exp] = raw.split(':');
  return userId && exp && /^\d+$/.test(exp) ? { kind: 'user', userId, tokenExp: Number(exp) } : undefined;
}

/**
 * Short-lived, single-use tickets for opening the live WebSocket from a browser, which cannot set an
 * Authorization header on an upgrade. A ticket names the API key or user that asked for it; the
 * key or token itself never goes into a URL. Only the ticket's hash is a Redis key, so reading
 * Redis gives no usable ticket.
 */
export function createWsTicketStore(redis: Redis, prefix: string) {
  const keyOf = (ticket: string) => `${prefix}:ws-ticket:${createHash('sha256').update(ticket).digest('hex')}`;
  return {
    async issue(holder: TicketHolder): Promise<{ ticket: string; expiresAt: Date }> {
      const ticket = randomBytes(32).toString('base64url');
      await redis.set(keyOf(ticket), encode(holder), 'EX', WS_TICKET_TTL_S);
      return { ticket, expiresAt: new Date(Date.now() + WS_TICKET_TTL_S * 1000) };
    },

    /** Who the ticket was issued for, or undefined; GETDEL makes a second use fail. */
    async redeem(ticket: string): Promise<TicketHolder | undefined> {
      const raw = await redis.getdel(keyOf(ticket));
      return raw === null ? undefined : decode(raw);
    },
  };
}

export type WsTicketStore = ReturnType<typeof createWsTicketStore>;

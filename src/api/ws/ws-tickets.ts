import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long a ticket may wait between issue and the WebSocket upgrade. */
export const WS_TICKET_TTL_S = 60;

/**
 * Short-lived, single-use tickets for opening the live WebSocket from a browser, which cannot set an
 * Authorization header on an upgrade. A ticket names the API key that asked for it; the key itself
 * never goes into a URL. Only the ticket's hash is a Redis key, so reading Redis gives no usable ticket.
 */
export function createWsTicketStore(redis: Redis, prefix: string) {
  const keyOf = (ticket: string) => `${prefix}:ws-ticket:${createHash('sha256').update(ticket).digest('hex')}`;
  return {
    async issue(apiKeyId: string): Promise<{ ticket: string; expiresAt: Date }> {
      const ticket = randomBytes(32).toString('base64url');
      await redis.set(keyOf(ticket), apiKeyId, 'EX', WS_TICKET_TTL_S);
      return { ticket, expiresAt: new Date(Date.now() + WS_TICKET_TTL_S * 1000) };
    },

    /** The API key id the ticket was issued for, or undefined; GETDEL makes a second use fail. */
    async redeem(ticket: string): Promise<string | undefined> {
      return (await redis.getdel(keyOf(ticket))) ?? undefined;
    },
  };
}

export type WsTicketStore = ReturnType<typeof createWsTicketStore>;

import type { Config } from '../../shared/config';

/** A route with its own, smaller per-key quota, on top of the general per-key one. */
export interface StrictRoute {
  /** The policy name in the RateLimit fields and in the Redis key. */
  name: string;
  method: string;
  /** Matches the path below /api/v1, as Express does: case-insensitive, an optional trailing slash. */
  path: RegExp;
  /** What is counted, for the 429 message. */
  what: string;
  quota: (limits: Config['rateLimit']) => number;
}

/**
 * Routes that cost far more than a read: a webhook test makes an outbound HTTP request to an
 * address the caller chose, a ticket is a Redis write and an open door for a socket, and a new key
 * is a credential. Matched here by method and path so the route files stay about their resources.
 */
export const STRICT_ROUTES: readonly StrictRoute[] = [
  { name: 'webhook-tests', method: 'POST', path: /^\/webhooks\/[^/]+\/test\/?$/i, what: 'webhook test sends', quota: (l) => l.webhookTests },
  { name: 'ws-tickets', method: 'POST', path: /^\/ws\/tickets\/?$/i, what: 'WebSocket tickets', quota: (l) => l.wsTickets },
  { name: 'key-creation', method: 'POST', path: /^\/api-keys\/?$/i, what: 'new API keys', quota: (l) => l.keyCreation },
];

/** The strict route a request below /api/v1 is for, if any (`path` relative to /api/v1). */
export function strictRouteOf(method: string, path: string): StrictRoute | undefined {
  return STRICT_ROUTES.find((r) => r.method === method && r.path.test(path));
}

import { Router } from 'express';
import type { Core } from '../../shared/core';
import { authOf } from '../middleware/auth';
import { dataOf } from '../openapi/envelopes';
import { wsTicketSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { createWsTicketStore } from '../ws/ws-tickets';

// OpenAPI has no WebSocket: the live socket is described here, where a browser starts.
const ticketDoc: RouteDoc = {
  summary: 'A single-use ticket (60 s) for the live WebSocket',
  description: [
    'Live events: open a WebSocket at `/api/v1/ws`, with `Authorization: Bearer <api key or access token>` (scripts) or, from a browser, `/api/v1/ws?ticket=<ticket>` using the ticket this returns (the key or token never goes into a URL). A user\'s socket closes when the token that asked for the ticket expires (4408: reconnect with a new ticket), and within 15 s of the user being deleted or disabled (4401).',
    'A refused upgrade is a 401 (503 when the database or Redis is down) with the usual error body.',
    'Messages are JSON `{ "event", "data", "at" }`, filtered by the key\'s or user\'s scope. The first is `WELCOME`; then `NODE_PROVISIONED`, `STATUS_UPDATE` / `BATCH_STATUS_UPDATE`, `TELEMETRY_UPDATE`, `ALERT_OPENED`, `ALERT_ACKNOWLEDGED`, `ALERT_RESOLVED`, `SYSTEM_DEGRADED`, `SYSTEM_RECOVERED`.',
  ].join('\n\n'),
  tag: 'live',
  auth: ALL_ROLES,
  responses: { 201: { description: 'The ticket', schema: dataOf(wsTicketSchema) } },
  errors: { 503: 'Redis (where tickets live) or the database is unavailable' },
};

/**
 * POST /ws/tickets: a single-use ticket, valid 60 s, for opening /api/v1/ws?ticket=... from a
 * browser (which cannot send the Authorization header on a WebSocket upgrade). Any role.
 */
export function wsTicketsRoutes(core: Core): Router {
  const router = Router();
  const tickets = createWsTicketStore(core.redis, core.config.queues.prefix);
  router.post('/ws/tickets', apiDoc(ticketDoc), async (req, res) => {
    const auth = authOf(req);
    const { ticket, expiresAt } = await tickets.issue(
      auth.kind === 'api_key' ? { kind: 'api_key', keyId: auth.key.id } : { kind: 'user', userId: auth.user.id, tokenExp: auth.tokenExp },
    );
    res.status(201).json({ data: { ticket, expiresAt: expiresAt.toISOString(), url: `/api/v1/ws?ticket=${ticket}` } });
  });
  return router;
}

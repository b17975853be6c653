import { Router } from 'express';
import type { Core } from '../../shared/core';
import { authOf } from '../middleware/auth';
import { createWsTicketStore } from '../ws/ws-tickets';

/**
 * POST /ws/tickets: a single-use ticket, valid 60 s, for opening /api/v1/ws?ticket=... from a
 * browser (which cannot send the Authorization header on a WebSocket upgrade). Any role.
 */
export function wsTicketsRoutes(core: Core): Router {
  const router = Router();
  const tickets = createWsTicketStore(core.redis, core.config.queues.prefix);
  router.post('/ws/tickets', async (req, res) => {
    const auth = authOf(req);
    const { ticket, expiresAt } = await tickets.issue(auth.key.id);
    res.status(201).json({ data: { ticket, expiresAt: expiresAt.toISOString(), url: `/api/v1/ws?ticket=${ticket}` } });
  });
  return router;
}

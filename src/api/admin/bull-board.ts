import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { apiDoc } from '../openapi/route-doc';
import { QUEUE_NAMES, type QueueName } from '../../shared/queues/queue-names';
import { ForbiddenError } from '../../shared/errors';
import { adminAuth } from './admin-auth';
import { sameOriginWrites } from './same-origin-writes';
import { pollPauseHooks } from './poll-pause-hooks';
import { auditQueueChange } from './queue-action-audit';

export const ADMIN_QUEUES_PATH = '/admin/queues';

const DESCRIPTIONS: Record<QueueName, string> = {
  'poll-control': 'poll-tick: fans out one poll per channel every POLL_INTERVAL_MS',
  poll: 'poll-channel per channel; paused by the database breaker while it is open',
  alerts: 'evaluate-node after each poll, sweep-conditions',
  notifications: 'webhook deliveries, outbox relay, system events',
  maintenance: 'apply-retention, daily',
};

/** One board over every queue. */
function board(core: Core): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(core.queues[name], { description: DESCRIPTIONS[name] })),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'Evara queues' },
      handlerHooks: pollPauseHooks(core, core.log.child({ module: 'bull-board' })),
    },
  });
  // Router.use mounts the adapter's Express app properly (request/response prototypes restored).
  return Router().use(serverAdapter.getRouter() as RequestHandler);
}

/**
 * Bull Board at /admin/queues, behind API-key authentication (HTTP Basic for browsers, Bearer for
 * scripts), for superadmins only: jobs hold every tenant's data and the board cannot filter them.
 * Bull Board has no authentication of its own.
 */
export function adminQueuesRoutes(core: Core, authenticateKey: Parameters<typeof adminAuth>[0]): Router {
  const full = board(core);
  const router = Router();
  router.use(
    apiDoc({
      summary: 'Bull Board: every queue, its jobs and controls (a web UI and its JSON API)',
      description:
        'Sign in with HTTP Basic (any user name, an API key as the password) or send a Bearer key. Superadmins only (403 otherwise): jobs show the data of every tenant. ADMIN_API_KEY also works while the database is down. Resuming `poll` while the database breaker is open is refused (409).',
      tag: 'operations',
      auth: ['superadmin'],
      responses: { 200: { description: "The board's HTML page, static files or JSON API answers", contentType: '*/*', schema: z.string() } },
      errors: {
        401: 'No API key, or one that is unknown or revoked (with a WWW-Authenticate: Basic challenge)',
        403: 'A key that is not superadmin, or a change (not GET/HEAD) whose Origin / Sec-Fetch-Site is another site (CSRF)',
      },
      methods: ['get', 'put', 'post', 'patch'],
    }),
  );
  // Before authentication: a cross-site change is refused whoever's Basic credentials the browser attaches.
  router.use(sameOriginWrites());
  router.use(adminAuth(authenticateKey, core.config.api.adminApiKey));
  router.use((req, res, next) => {
    const auth = req.auth;
    if (auth?.kind !== 'api_key') throw new ForbiddenError('The queue board needs a superadmin API key');
    // Clickjacking: the board's buttons must not work inside someone else's frame.
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    // Jobs carry every community's channel ids, webhook hosts and failure reasons, and Bull Board
    // cannot filter them by tenant: superadmins only (see README, Bull Board).
    if (auth.scope.role !== 'superadmin') throw new ForbiddenError('The queue board shows every tenant\'s jobs: it needs a superadmin key');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // Who changed a queue, by key id and label (never the key).
      req.log.info({ keyId: auth.key.id, keyLabel: auth.key.label, method: req.method, path: req.path }, 'bull board action');
      auditQueueChange(core, auth, req, res);
    }
    return full(req, res, next);
  });
  return router;
}

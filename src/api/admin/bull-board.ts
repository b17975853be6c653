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
import { pollPauseHooks } from './poll-pause-hooks';

export const ADMIN_QUEUES_PATH = '/admin/queues';

const DESCRIPTIONS: Record<QueueName, string> = {
  'poll-control': 'poll-tick: fans out one poll per channel every POLL_INTERVAL_MS',
  poll: 'poll-channel per channel; paused by the database breaker while it is open',
  alerts: 'evaluate-node after each poll, sweep-conditions',
  notifications: 'webhook deliveries, outbox relay, system events',
  maintenance: 'apply-retention, daily',
};

/** One board over every queue; both boards answer at the same path, so the UI's URLs are the same. */
function board(core: Core, readOnlyMode: boolean): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(core.queues[name], { readOnlyMode, allowRetries: !readOnlyMode, description: DESCRIPTIONS[name] })),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: readOnlyMode ? 'Evara queues (read-only)' : 'Evara queues' },
      handlerHooks: readOnlyMode ? undefined : pollPauseHooks(core, core.log.child({ module: 'bull-board' })),
    },
  });
  // Router.use mounts the adapter's Express app properly (request/response prototypes restored).
  return Router().use(serverAdapter.getRouter() as RequestHandler);
}

/**
 * Bull Board at /admin/queues, behind API-key authentication (HTTP Basic for browsers, Bearer for
 * scripts): superadmins get the full board (retry, remove, pause/resume), distributors a
 * read-only one, customers nothing. Bull Board has no authentication of its own.
 */
export function adminQueuesRoutes(core: Core): Router {
  const full = board(core, false);
  const readOnly = board(core, true);
  const router = Router();
  router.use(
    apiDoc({
      summary: 'Bull Board: every queue, its jobs and controls (a web UI and its JSON API)',
      description:
        'Sign in with HTTP Basic (any user name, an API key as the password) or send a Bearer key. A superadmin gets the full board (retry, remove, pause/resume); distributors a read-only one; customers are refused (403). Resuming `poll` while the database breaker is open is refused (409).',
      tag: 'operations',
      auth: ['superadmin', 'distributor'],
      responses: { 200: { description: "The board's HTML page, static files or JSON API answers", contentType: '*/*', schema: z.string() } },
      errors: { 401: 'No API key, or one that is unknown or revoked (with a WWW-Authenticate: Basic challenge)' },
      methods: ['get', 'put', 'post', 'patch'],
    }),
  );
  router.use(adminAuth((key) => core.repos.apiKeys.authenticate(key)));
  router.use((req, res, next) => {
    const auth = req.auth!;
    // Jobs carry every community's channel ids and failure reasons: operators only.
    if (auth.scope.role === 'customer') throw new ForbiddenError('The queue board is for operators: a superadmin key (full control) or a distributor key (read-only)');
    if (auth.scope.role !== 'superadmin') return readOnly(req, res, next);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // Who changed a queue, by key id and label (never the key).
      req.log.info({ keyId: auth.key.id, keyLabel: auth.key.label, method: req.method, path: req.path }, 'bull board action');
    }
    return full(req, res, next);
  });
  return router;
}

import express, { type Express } from 'express';
import type { Core } from '../shared/core';
import { authenticate, bearerCredentialOf } from './middleware/auth';
import { looksLikeJwt } from '../shared/auth/user-tokens';
import { errorHandler } from './middleware/error-handler';
import { requestContext } from './middleware/request-context';
import { apiKeysRoutes } from './routes/api-keys.routes';
import { communitiesRoutes } from './routes/communities.routes';
import { distributorsRoutes } from './routes/distributors.routes';
import { healthRoutes, type Lifecycle } from './routes/health.routes';
import { jobsRoutes } from './routes/jobs.routes';
import { nodesRoutes } from './routes/nodes.routes';
import { readingsRoutes } from './routes/readings.routes';
import { seriesRoutes } from './routes/series.routes';
import { statsRoutes } from './routes/stats.routes';
import { exportsRoutes } from './routes/exports.routes';
import { createExportSlots } from './export/export-slots';
import { systemRoutes } from './routes/system.routes';
import { alertsRoutes } from './routes/alerts.routes';
import { alertRulesRoutes } from './routes/alert-rules.routes';
import { maintenanceWindowsRoutes } from './routes/maintenance-windows.routes';
import { webhooksRoutes } from './routes/webhooks.routes';
import { wsTicketsRoutes } from './routes/ws-tickets.routes';
import { debugRoutes } from './routes/debug.routes';
import { docsRoutes } from './routes/docs.routes';
import { rejectUnknownRoutes, routeNotFound } from './middleware/route-not-found';
import { createApiMetrics, type ApiMetricsOptions } from './metrics/api-metrics';
import { ADMIN_QUEUES_PATH, adminQueuesRoutes } from './admin/bull-board';
import { statusPageRoutes } from './status-page/status-page.routes';
import { createApiKeyCache, type ApiKeyCache } from '../shared/auth/api-key-cache';
import { createRateLimits } from './rate-limit/rate-limits';
import { corsPolicy } from './middleware/cors-policy';
import { usersRoutes } from './routes/users.routes';
import { auditRoutes } from './routes/audit.routes';
import { meRoutes } from './routes/me.routes';
import { createUserSignInOf } from './user-sign-in-setup';
import type { UserSignIn } from '../shared/auth/user-sign-in';

export const BODY_LIMIT = '256kb';

/** Builds the Express app; never listens (tests use supertest, main.ts listens). */
export interface AppOptions extends ApiMetricsOptions {
  /** Shared with the process's revocation subscriber (main.ts); a private one when absent (tests). */
  apiKeyCache?: ApiKeyCache;
  /** The process's Supabase sign-in, shared with the live hub (main.ts); built here when absent (tests). Null: sign-in is off. */
  userSignIn?: UserSignIn | null;
}

export function createApp(core: Core, lifecycle: Lifecycle = { ready: true }, options: AppOptions = {}): Express {
  const app = express();
  const apiKeyCache = options.apiKeyCache ?? createApiKeyCache(core.repos.apiKeys, core.config.api.keyCacheMs);
  const userSignIn = options.userSignIn === undefined ? createUserSignInOf(core) : (options.userSignIn ?? undefined);
  const metrics = createApiMetrics(core, options, (key) => apiKeyCache.authenticate(key));
  app.disable('x-powered-by');
  // req.ip is the client named by the proxies we trust (TRUST_PROXY: one hop on Render): rate limits key on it.
  app.set('trust proxy', typeof core.config.api.trustProxy === 'number' ? core.config.api.trustProxy : [...core.config.api.trustProxy]);
  const rateLimits = createRateLimits(core, {
    knownGood: (req) => {
      const credential = bearerCredentialOf(req.headers.authorization);
      // Sign-in tokens are never in the key cache: not worth hashing kilobytes to find that out.
      return credential !== undefined && !looksLikeJwt(credential) && apiKeyCache.holds(credential);
    },
  });
  app.use(requestContext(core.log));
  app.use(metrics.recordRequests);
  // Before health, docs, rate limits and authentication: a preflight never needs more (CORS_ORIGINS).
  const cors = corsPolicy(core.config.corsOrigins);
  if (cors) app.use(cors);
  app.use(healthRoutes(core, lifecycle));
  app.use(docsRoutes(app, core.config.version));
  // Before any authentication, on /api/v1, /admin/queues and /metrics only (everything above stays unlimited).
  app.use(rateLimits.perClient);

  const v1 = express.Router();
  v1.use(rejectUnknownRoutes(app));
  v1.use(express.json({ limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }));
  v1.use(authenticate({ apiKey: (key) => apiKeyCache.authenticate(key), userToken: userSignIn }));
  v1.use(rateLimits.perKey);
  v1.use(distributorsRoutes(core));
  v1.use(communitiesRoutes(core));
  v1.use(apiKeysRoutes(core, apiKeyCache));
  v1.use(usersRoutes(core));
  v1.use(meRoutes());
  v1.use(nodesRoutes(core));
  const exportSlots = createExportSlots(core.config.export.maxConcurrent);
  v1.use(readingsRoutes(core, exportSlots));
  v1.use(exportsRoutes(core, exportSlots));
  v1.use(seriesRoutes(core));
  v1.use(statsRoutes(core));
  v1.use(jobsRoutes(core));
  v1.use(systemRoutes(core));
  v1.use(alertRulesRoutes(core));
  v1.use(
    alertsRoutes({
      db: core.db,
      alerts: core.repos.alerts,
      conditionState: core.repos.conditionState,
      nodeStatus: core.repos.nodeStatus,
      outbox: core.repos.outbox,
      flush: { producers: core.producers, outbox: core.repos.outbox, events: core.events },
    }),
  );
  v1.use(maintenanceWindowsRoutes(core));
  v1.use(webhooksRoutes(core));
  v1.use(auditRoutes(core));
  v1.use(wsTicketsRoutes(core));
  v1.use(debugRoutes(core, app));
  app.use('/api/v1', v1);
  app.use(ADMIN_QUEUES_PATH, adminQueuesRoutes(core, (key) => apiKeyCache.authenticate(key)));
  app.use(statusPageRoutes());

  app.use(metrics.routes);

  app.use(routeNotFound(app));
  app.use(rateLimits.countFailedAuth);
  app.use(errorHandler());
  return app;
}

import express, { type Express, type Request, type Response } from 'express';
import type { Core } from '../shared/core';
import { NotFoundError } from '../shared/errors';
import { authenticate } from './middleware/auth';
import { errorHandler } from './middleware/error-handler';
import { requestContext } from './middleware/request-context';
import { apiKeysRoutes } from './routes/api-keys.routes';
import { communitiesRoutes } from './routes/communities.routes';
import { distributorsRoutes } from './routes/distributors.routes';
import { healthRoutes, type Lifecycle } from './routes/health.routes';
import { jobsRoutes } from './routes/jobs.routes';
import { nodesRoutes } from './routes/nodes.routes';
import { readingsRoutes } from './routes/readings.routes';
import { systemRoutes } from './routes/system.routes';
import { alertsRoutes } from './routes/alerts.routes';
import { alertRulesRoutes } from './routes/alert-rules.routes';
import { maintenanceWindowsRoutes } from './routes/maintenance-windows.routes';
import { webhooksRoutes } from './routes/webhooks.routes';
import { wsTicketsRoutes } from './routes/ws-tickets.routes';

export const BODY_LIMIT = '256kb';

/** Builds the Express app; never listens (tests use supertest, main.ts listens). */
export function createApp(core: Core, lifecycle: Lifecycle = { ready: true }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 1);
  app.use(requestContext(core.log));
  app.use(healthRoutes(core, lifecycle));

  const v1 = express.Router();
  v1.use(express.json({ limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }));
  v1.use(authenticate((key) => core.repos.apiKeys.authenticate(key)));
  v1.use(distributorsRoutes(core));
  v1.use(communitiesRoutes(core));
  v1.use(apiKeysRoutes(core));
  v1.use(nodesRoutes(core));
  v1.use(readingsRoutes(core));
  v1.use(jobsRoutes(core));
  v1.use(systemRoutes(core));
  v1.use(alertRulesRoutes(core));
  v1.use(alertsRoutes(core));
  v1.use(maintenanceWindowsRoutes(core));
  v1.use(webhooksRoutes(core));
  v1.use(wsTicketsRoutes(core));
  app.use('/api/v1', v1);

  app.use((req: Request, _res: Response) => {
    throw new NotFoundError(`No route for ${req.method} ${req.path}`, 'ROUTE_NOT_FOUND');
  });
  app.use(errorHandler());
  return app;
}

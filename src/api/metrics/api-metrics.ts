import { Router, type RequestHandler } from 'express';
import { Gauge } from 'prom-client';
import type { Core } from '../../shared/core';
import { createCoreMetricsRegistry } from '../../shared/metrics/core-metrics';
import { httpMetrics } from './http-metrics';
import { requireMetricsReader } from './metrics-auth';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';

export const METRICS_PATH = '/metrics';

const METRICS_DOC: RouteDoc = {
  summary: 'Prometheus metrics of this API process',
  description:
    'Text exposition format: HTTP requests by route pattern and status, live WebSocket clients, database pool, queue depths, circuit breaker, event-loop lag. ' +
    'Send `Authorization: Bearer <METRICS_TOKEN>` (a scraper; works while the database is down) or a superadmin API key.',
  tag: 'operations',
  auth: ['superadmin'],
  responses: { 200: { description: 'The metrics', contentType: 'text/plain; version=0.0.4' } },
  errors: { 401: 'No credential, or neither METRICS_TOKEN nor a known API key', 403: 'An API key that is not superadmin' },
};

export interface ApiMetricsOptions {
  /** Live WebSocket clients of this process; the hub exists only once the server listens, so a getter. */
  wsClients?: () => number;
}

/**
 * The API's metrics, one registry per app: HTTP requests by route and status, live WebSocket
 * clients, and the process, pool, queue and breaker metrics every process has. `recordRequests`
 * goes first in the app; `routes` serves GET /metrics to METRICS_TOKEN or a superadmin key.
 */
export function createApiMetrics(
  core: Core,
  opts: ApiMetricsOptions = {},
  authenticateKey?: Parameters<typeof requireMetricsReader>[1],
): { recordRequests: RequestHandler; routes: Router } {
  const registry = createCoreMetricsRegistry(core, 'api');
  const recordRequests = httpMetrics(registry);
  new Gauge({
    name: 'evara_ws_clients',
    help: 'Authenticated live WebSocket clients connected to this API process',
    registers: [registry],
    collect() {
      this.set(opts.wsClients?.() ?? 0);
    },
  });

  const routes = Router();
  routes.get(METRICS_PATH, apiDoc(METRICS_DOC), requireMetricsReader(core, authenticateKey), async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await registry.metrics());
  });
  return { recordRequests, routes };
}

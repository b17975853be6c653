import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { buildHealthReport, type HealthReport } from '../../shared/health/health-report';
import { publicHealthView } from '../../shared/health/public-health';
import type { ApiKeyRecord } from '../../shared/auth/api-keys.repository';
import { createApiKeyCache } from '../../shared/auth/api-key-cache';
import { healthDetailAccess } from './health-detail-access';
import { healthReportSchema } from '../openapi/resource-schemas';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';

export interface Lifecycle {
  /** false while starting and once shutting down: what /readyz reports. */
  ready: boolean;
}

const CACHE_MS = 2_000;

/** The report as served: the shared schema plus why it is not ok. */
const healthBodySchema = healthReportSchema.extend({
  reasons: z.array(z.string()).meta({ description: 'Why the status is not ok, in short words (e.g. "poll queue: 123 failed jobs (threshold 100)"); empty when ok.' }),
});

const DOCS = {
  health: {
    summary: 'Dependency report: database, Redis, ThingSpeak, circuit breaker, poll queue',
    description:
      'Cached for 2 s. ok: all fine; degraded: usable but something is wrong (also when the poll queue holds more failed jobs than HEALTH_FAILED_POLLS_DEGRADED, a process\'s database pool is busy, or ThingSpeak is in an outage); down: neither database nor Redis answers. `reasons` says why in short words. ' +
      'Anonymous callers get states only; with a superadmin key (`Authorization: Bearer <key>`; while the database is down, ADMIN_API_KEY) the database and Redis entries add `latencyMs` and the driver `error`.',
    tag: 'health',
    auth: 'public',
    responses: { 200: { description: 'ok or degraded', schema: healthBodySchema }, 503: { description: 'down', schema: healthBodySchema } },
  },
  livez: { summary: 'Liveness: the process answers', tag: 'health', auth: 'public', responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } } },
  readyz: {
    summary: "Readiness: fails only while starting or shutting down (Render's health path)",
    description: 'A database outage does not fail it, so an outage never turns into restarts.',
    tag: 'health',
    auth: 'public',
    responses: {
      200: { description: 'Ready', schema: z.object({ status: z.literal('ready') }) },
      503: { description: 'Starting or shutting down', schema: z.object({ status: z.literal('not_ready'), message: z.string() }) },
    },
  },
} satisfies Record<string, RouteDoc>;

/**
 * /livez: the process answers. /readyz: fails only while starting or shutting down (Render's
 * health path, so a database outage never turns into restarts). /health: dependency report,
 * 200 when usable (ok or degraded), 503 when nothing works.
 */
export function healthRoutes(core: Core, lifecycle: Lifecycle, authenticateKey?: (key: string) => Promise<ApiKeyRecord | undefined>): Router {
  const router = Router();
  const startedAt = Date.now();
  let cached: { at: number; body: HealthReport; httpStatus: number } | undefined;
  let inFlight: Promise<{ at: number; body: HealthReport; httpStatus: number }> | undefined;
  // The app's key cache when given; otherwise one of its own with TTL 0 (every check asks the database, so a revocation applies at once).
  const ownCache = authenticateKey ? undefined : createApiKeyCache(core.repos.apiKeys, 0);
  const checkKey = authenticateKey ?? ((key: string) => ownCache!.authenticate(key));
  const mayReadDetail = healthDetailAccess(checkKey, core.config.api.adminApiKey);

  async function report() {
    const body = await buildHealthReport(core, startedAt);
    return { at: Date.now(), httpStatus: body.status === 'down' ? 503 : 200, body };
  }

  router.get('/health', apiDoc(DOCS.health), async (req, res) => {
    const detail = mayReadDetail(req.headers.authorization);
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      // One check at a time: a burst of health requests must not open a burst of connections.
      inFlight ??= report().finally(() => {
        inFlight = undefined;
      });
      cached = await inFlight;
    }
    // Driver errors can name hosts, users and databases: only superadmins read them.
    const showDetail = await detail;
    res.setHeader('Vary', 'Authorization');
    if (showDetail) res.setHeader('Cache-Control', 'private, no-store');
    res.status(cached.httpStatus).json(showDetail ? cached.body : publicHealthView(cached.body));
  });

  router.get('/livez', apiDoc(DOCS.livez), (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', apiDoc(DOCS.readyz), (_req, res) => {
    if (lifecycle.ready) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not_ready', message: 'starting or shutting down' });
  });
  return router;
}

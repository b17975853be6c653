import { Router } from 'express';
import type { Core } from '../../shared/core';
import { buildHealthReport } from '../../shared/health/health-report';

export interface Lifecycle {
  /** false while starting and once shutting down: what /readyz reports. */
  ready: boolean;
}

const CACHE_MS = 2_000;

/**
 * /livez: the process answers. /readyz: fails only while starting or shutting down (Render's
 * health path, so a database outage never turns into restarts). /health: dependency report,
 * 200 when usable (ok or degraded), 503 when nothing works.
 */
export function healthRoutes(core: Core, lifecycle: Lifecycle): Router {
  const router = Router();
  const startedAt = Date.now();
  let cached: { at: number; body: unknown; httpStatus: number } | undefined;
  let inFlight: Promise<{ at: number; body: unknown; httpStatus: number }> | undefined;

  async function report() {
    const body = await buildHealthReport(core, startedAt);
    return { at: Date.now(), httpStatus: body.status === 'down' ? 503 : 200, body };
  }

  router.get('/health', async (_req, res) => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      // One check at a time: a burst of health requests must not open a burst of connections.
      inFlight ??= report().finally(() => {
        inFlight = undefined;
      });
      cached = await inFlight;
    }
    res.status(cached.httpStatus).json(cached.body);
  });

  router.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', (_req, res) => {
    if (lifecycle.ready) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not_ready', message: 'starting or shutting down' });
  });
  return router;
}

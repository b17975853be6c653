import { Router } from 'express';
import type { Core } from '../../shared/core';
import { requireRole } from '../middleware/auth';
import { dataOf } from '../openapi/envelopes';
import { circuitSchema } from '../openapi/resource-schemas';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';

const circuitDoc: RouteDoc = {
  summary: "The database circuit breaker's state and its recent transitions",
  auth: ['superadmin'],
  responses: { 200: { description: 'The breaker', schema: dataOf(circuitSchema) } },
};

/** GET /system/circuit (superadmin): the DB breaker's state and its recent transitions. */
export function systemRoutes(core: Core): Router {
  const router = Router();
  router.get('/system/circuit', apiDoc(circuitDoc), async (req, res) => {
    requireRole(req, 'superadmin');
    const [state, transitions] = await Promise.all([core.breaker.publicState(), core.breaker.transitions(50)]);
    res.json({
      data: {
        state: state.publicState,
        failures: state.failures,
        threshold: core.config.circuit.failureThreshold,
        openedAt: state.openedAt ? new Date(state.openedAt).toISOString() : null,
        nextProbeAt: state.nextProbeAt ? new Date(state.nextProbeAt).toISOString() : null,
        reason: state.reason,
        transitions: transitions.map((t) => ({ ...t, at: new Date(t.at).toISOString() })),
      },
    });
  });
  return router;
}

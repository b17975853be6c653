import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { deleteMaintenanceWindow, openMaintenanceWindow } from '../../shared/alerts/maintenance-window-actions';
import { CUSTOMER_MAX_WINDOW_DAYS } from '../../shared/alerts/maintenance-window-policy';
import { actorOf, authOf, principalOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf, offsetPageOf } from '../openapi/envelopes';
import { maintenanceWindowSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { paginationSchema, uuidParam } from './pagination';

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

const createBody = z
  .object({
    nodeId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
    startsAt: isoTime,
    endsAt: isoTime,
    reason: z.string().trim().min(1).max(500),
  })
  .strict()
  .refine((b) => !(b.nodeId && b.communityId), { message: 'give nodeId (one node) or communityId (all its nodes), not both', path: ['nodeId'] })
  .refine((b) => new Date(b.endsAt) > new Date(b.startsAt), { message: 'must be later than startsAt', path: ['endsAt'] })
  .refine((b) => new Date(b.endsAt).getTime() - new Date(b.startsAt).getTime() <= 90 * 24 * 3600_000, { message: 'a window may last at most 90 days', path: ['endsAt'] });

const listQuery = paginationSchema
  .extend({
    nodeId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
    /** Only windows in force now. */
    active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    includePast: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  })
  .strict();


const DOCS = {
  create: {
    summary: 'Schedule a maintenance window',
    description:
      `For one node (nodeId) or every node of a community (communityId); at most 90 days. A whole community needs a distributor or superadmin key: a customer key may open windows for single nodes of its community, of at most ${CUSTOMER_MAX_WINDOW_DAYS} days.`,
    auth: ALL_ROLES,
    body: createBody,
    responses: { 201: { description: 'Created', schema: dataOf(maintenanceWindowSchema) } },
    errors: {
      400: `VALIDATION_FAILED (also a customer key's window longer than ${CUSTOMER_MAX_WINDOW_DAYS} days)`,
      403: 'FORBIDDEN: a customer key asked for a whole community',
      404: 'NODE_NOT_FOUND or COMMUNITY_NOT_FOUND',
      409: 'TENANT_LIMIT_REACHED: the community has TENANT_MAX_MAINTENANCE_WINDOWS_PER_COMMUNITY windows in force or scheduled',
    },
  },
  list: {
    summary: 'List maintenance windows in scope',
    description: 'Current and future ones; `active=true` for those in force now, `includePast=true` for ended ones too.',
    auth: ALL_ROLES,
    query: listQuery,
    responses: { 200: { description: 'A page of windows', schema: offsetPageOf(maintenanceWindowSchema) } },
  },
  get: { summary: 'A maintenance window', auth: ALL_ROLES, params: uuidParam, responses: { 200: { description: 'The window', schema: dataOf(maintenanceWindowSchema) } }, errors: { 404: 'MAINTENANCE_WINDOW_NOT_FOUND' } },
  delete: {
    summary: 'Delete a maintenance window',
    description: 'A customer key may delete only the windows it opened; a distributor key those of its communities not opened by a superadmin key; a superadmin key any.',
    auth: ALL_ROLES,
    params: uuidParam,
    responses: { 204: { description: 'Deleted' } },
    errors: { 403: 'FORBIDDEN: the key may not change what the window\'s creator made', 404: 'MAINTENANCE_WINDOW_NOT_FOUND' },
  },
} satisfies Record<string, RouteDoc>;

/** Maintenance windows: while one is in force, alerts of its node (or community) neither open nor notify. */
export function maintenanceWindowsRoutes(core: Core): Router {
  const router = Router();
  const { maintenance, nodes, communities } = core.repos;

  router.post('/maintenance-windows', apiDoc(DOCS.create), async (req, res) => {
    const auth = authOf(req);
    const input = parse(createBody, req.body, 'body');
    let communityId: string;
    if (input.nodeId) {
      const node = await nodes.get(auth.scope, input.nodeId);
      if (!node) throw new NotFoundError(`Node ${input.nodeId} was not found`, 'NODE_NOT_FOUND');
      communityId = node.communityId;
    } else {
      // A customer's key implies its community; openMaintenanceWindow then refuses it (403) with the reason.
      const requested = input.communityId ?? (auth.scope.role === 'customer' ? auth.scope.communityId : undefined);
      if (!requested) throw new ValidationError('Invalid body: body.nodeId: give nodeId or communityId');
      if (!(await communities.findInScope(auth.scope, requested))) throw new NotFoundError(`Community ${requested} was not found`, 'COMMUNITY_NOT_FOUND');
      communityId = requested;
    }
    const window = await openMaintenanceWindow(
      { db: core.db, maintenance },
      {
        actor: actorOf(auth),
        by: principalOf(auth),
        communityId,
        nodeId: input.nodeId ?? null,
        startsAt: new Date(input.startsAt),
        endsAt: new Date(input.endsAt),
        reason: input.reason,
        maxPerCommunity: core.config.tenantLimits.maintenanceWindowsPerCommunity,
      },
    );
    res.status(201).location(`/api/v1/maintenance-windows/${window.id}`).json({ data: window });
  });

  router.get('/maintenance-windows', apiDoc(DOCS.list), async (req, res) => {
    const { limit, offset, active, includePast, ...filter } = parse(listQuery, req.query, 'query');
    const page = await maintenance.list(authOf(req).scope, { ...filter, activeAt: active ? new Date() : undefined, includePast }, { limit, offset });
    res.json({ data: page.items, page: { limit, offset, total: page.total } });
  });

  router.get('/maintenance-windows/:id', apiDoc(DOCS.get), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const window = await maintenance.get(authOf(req).scope, id);
    if (!window) throw new NotFoundError(`Maintenance window ${id} was not found`, 'MAINTENANCE_WINDOW_NOT_FOUND');
    res.json({ data: window });
  });

  router.delete('/maintenance-windows/:id', apiDoc(DOCS.delete), async (req, res) => {
    const auth = authOf(req);
    const { id } = parse(uuidParam, req.params, 'path');
    await deleteMaintenanceWindow({ db: core.db, maintenance }, { actor: actorOf(auth), by: principalOf(auth), scope: auth.scope, id });
    res.status(204).end();
  });

  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ValidationError } from '../../shared/errors';
import { decodeAuditCursor, listAuditEntries, type AuditFilter } from '../../shared/audit/audit-log.repository';
import { requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { cursorPageOf } from '../openapi/envelopes';
import { auditEntrySchema } from '../openapi/resource-schemas';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
const WORD = '[a-z][a-z0-9_]*';

const listQuery = z
  .object({
    actor: z.string().uuid('must be an API key id or a user id (a UUID)').optional().meta({ description: 'An API key id or a user id: the entries that key or user made' }),
    action: z
      .string()
      .regex(new RegExp(`^${WORD}(\\.${WORD})*(\\.\\*)?$`), 'must be an action such as "node.create", or a prefix ending in ".*" such as "node.*"')
      .max(100)
      .optional()
      .meta({ description: 'An exact action ("node.create"), or every action under a prefix ("node.*": node.create, node.update, node.channel.detach, ...)' }),
    resourceType: z.string().regex(new RegExp(`^${WORD}$`), 'must be a resource type such as "node" or "api_key"').max(50).optional(),
    resourceId: z.string().min(1).max(200).optional().meta({ description: 'Only with resourceType' }),
    communityId: z.string().uuid('must be a community id (a UUID)').optional(),
    from: isoTime.optional().meta({ description: 'Written at or after this instant' }),
    to: isoTime.optional().meta({ description: 'Written before this instant' }),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const DOCS = {
  list: {
    summary: 'Read the audit log: who changed what, newest first',
    description:
      'Every change made through the API is recorded in the same transaction as the change: nodes, channels, readings purges, API keys, ' +
      'communities, distributors, users, alert rules, alert actions, maintenance windows and webhooks (and Bull Board changes, as queue.change). Filters combine (all must hold). ' +
      'A superadmin sees every entry; a distributor sees the entries of its communities; entries with no community (system-wide: ' +
      'distributors, superadmin and distributor keys or users) are for superadmins only. Customers get 403 (each alert shows its own ' +
      "trail on GET /alerts/{id}). Newest first by entry id; keyset paged: pass page.nextCursor as `cursor`. Details never hold a secret.",
    auth: ['superadmin', 'distributor'],
    query: listQuery,
    responses: { 200: { description: 'A page of audit entries', schema: cursorPageOf(auditEntrySchema) } },
    errors: { 400: 'A filter is malformed, resourceId without resourceType, from not before to, or a cursor this API did not return' },
  },
} satisfies Record<string, RouteDoc>;

/** GET /audit: the audit log, filtered and keyset paged, within the caller's scope. */
export function auditRoutes(core: Core): Router {
  const router = Router();

  router.get('/audit', apiDoc(DOCS.list), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const q = parse(listQuery, req.query, 'query');
    if (q.resourceId !== undefined && q.resourceType === undefined) throw new ValidationError('Invalid query: query.resourceId: needs resourceType (e.g. resourceType=node)');
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to && from >= to) throw new ValidationError('Invalid query: query.from: must be earlier than query.to');
    const before = q.cursor === undefined ? undefined : decodeAuditCursor(q.cursor);
    if (q.cursor !== undefined && !before) throw new ValidationError('Invalid query: query.cursor: is not a cursor this API returned');
    const filter: AuditFilter = {
      actor: q.actor,
      action: q.action === undefined ? undefined : q.action.endsWith('.*') ? { prefix: q.action.slice(0, -1) } : { exact: q.action },
      resourceType: q.resourceType,
      resourceId: q.resourceId,
      communityId: q.communityId,
      from,
      to,
    };
    const page = await listAuditEntries(core.db, auth.scope, filter, { limit: q.limit, beforeId: before?.beforeId });
    res.json({ data: page.items, page: { limit: q.limit, nextCursor: page.nextCursor } });
  });

  return router;
}

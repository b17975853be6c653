import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { decodeReadingsCursor } from '../../shared/readings/readings.repository';
import { authOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { cursorPageOf } from '../openapi/envelopes';
import { readingSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { uuidParam } from './pagination';
import { sendReadingsCsv } from './exports.routes';
import type { ExportSlots } from '../export/export-slots';

const readingsQuery = z
  .object({
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
    channelId: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    order: z.enum(['asc', 'desc']).default('desc'),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const listDoc: RouteDoc = {
  summary: "A node's stored readings",
  description:
    'Between `from` and `to`, optionally of one channel (`channelId`: the ThingSpeak channel number), ordered by recorded time (then channel epoch, then entry id); ' +
    'keyset paged: pass page.nextCursor as `cursor`. Readings of detached (inactive) channels are included: detaching keeps history.',
  tag: 'nodes',
  auth: ALL_ROLES,
  params: uuidParam,
  query: readingsQuery,
  responses: {
    200: {
      description: 'A page of readings; with `Accept: text/csv`, all of them as CSV instead (the query then takes only from, to and channelId: see GET /nodes/{id}/readings.csv)',
      schema: cursorPageOf(readingSchema, { order: z.enum(['asc', 'desc']) }),
      alternatives: [{ contentType: 'text/csv', schema: z.string() }],
    },
  },
  errors: { 404: 'NODE_NOT_FOUND' },
};

export function readingsRoutes(core: Core, exportSlots: ExportSlots): Router {
  const router = Router();
  router.get('/nodes/:id/readings', apiDoc(listDoc), async (req, res) => {
    // JSON unless the client asks for CSV first: no Accept, */* and browsers' defaults stay JSON.
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') return sendReadingsCsv(core, exportSlots, req, res);
    const { id } = parse(uuidParam, req.params, 'path');
    const q = parse(readingsQuery, req.query, 'query');
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to && from >= to) throw new ValidationError('Invalid query: query.from: must be earlier than query.to');
    const before = q.cursor ? decodeReadingsCursor(q.cursor) : undefined;
    if (q.cursor && !before) throw new ValidationError('Invalid query: query.cursor: is not a cursor this API returned');
    if (!(await core.repos.nodes.get(authOf(req).scope, id))) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    const page = await core.repos.readings.list({ nodeId: id, from, to, channelId: q.channelId, limit: q.limit, order: q.order, before });
    res.json({ data: page.items, page: { limit: q.limit, order: q.order, nextCursor: page.nextCursor } });
  });
  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import type { Community } from '../../shared/communities/communities.repository';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors';
import { createNodeSchema, NODE_STATUSES, updateNodeSchema, ANALYTICS_TYPES, NODE_CATEGORIES } from '../../shared/nodes/node';
import { updateNode } from '../../shared/nodes/update-node';
import { decodeNodeListCursor } from '../../shared/nodes/node-list-cursor';
import { authOf, requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf } from '../openapi/envelopes';
import { nodeSchema, pollAcceptedSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { paginationSchema, uuidParam } from './pagination';

const listQuery = paginationSchema
  .extend({
    cursor: z.string().max(600).optional(),
    count: z.enum(['exact', 'none']).optional(),
    communityId: z.string().uuid().optional(),
    category: z.enum(NODE_CATEGORIES).optional(),
    analyticsType: z.enum(ANALYTICS_TYPES).optional(),
    status: z.enum(NODE_STATUSES).optional(),
    online: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    search: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

const summaryQuery = z.object({ communityId: z.string().uuid().optional() }).strict();

const countsOf = (keys: readonly string[]) => z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])));
const nodeSummarySchema = z.object({
  total: z.number().int(),
  online: z.number().int(),
  offline: z.number().int(),
  byStatus: countsOf(NODE_STATUSES),
  byCategory: countsOf(NODE_CATEGORIES),
});

const nodeListPage = z.object({
  data: z.array(nodeSchema),
  page: z.object({
    limit: z.number().int(),
    offset: z.number().int().optional().meta({ description: 'Only on offset pages (no cursor)' }),
    total: z.number().int().optional().meta({ description: 'Every node matching the filters; only with count=exact (the default without a cursor)' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as ?cursor= for the next page; null on the last page' }),
  }),
});

const nodeAnswer = dataOf(nodeSchema);

const DOCS = {
  create: {
    summary: 'Create a node with its ThingSpeak channels',
    description: 'Without communityId (superadmin only) the node goes to the `default` community. Read keys are stored encrypted and never returned.',
    auth: ['superadmin', 'distributor'],
    body: createNodeSchema,
    responses: { 201: { description: 'Created', schema: nodeAnswer } },
    errors: { 404: 'COMMUNITY_NOT_FOUND', 409: 'NODE_KEY_TAKEN: a node has this nodeKey' },
  },
  list: {
    summary: 'List the nodes in scope',
    description:
      'Sorted by label, then id. Keyset paged: pass page.nextCursor as `cursor` (a page costs the same anywhere in the list). ' +
      '`offset` still works but reads every row before it. `total` is counted on the first page (no cursor) unless `count=none`, and on cursor pages only with `count=exact`.',
    auth: ALL_ROLES,
    query: listQuery,
    responses: { 200: { description: 'A page of nodes', schema: nodeListPage } },
    errors: { 400: 'cursor is not one this API returned, or cursor and offset together' },
  },
  summary: {
    summary: 'Counts of the nodes in scope by status, category and online or not',
    description: 'One grouped query; `online` uses the same rule as a node\'s own `online` (newest reading younger than three expected intervals).',
    auth: ALL_ROLES,
    query: summaryQuery,
    responses: { 200: { description: 'The counts', schema: dataOf(nodeSummarySchema) } },
  },
  get: { summary: 'A node, with its state and per-channel sync state', auth: ALL_ROLES, params: uuidParam, responses: { 200: { description: 'The node', schema: nodeAnswer } }, errors: { 404: 'NODE_NOT_FOUND' } },
  update: {
    summary: 'Change a node',
    description: 'Only the fields given change. `channels` replaces every channel; a kept channelId keeps its readings and key unless a new key is sent.',
    auth: ['superadmin', 'distributor'],
    params: uuidParam,
    body: updateNodeSchema,
    responses: { 200: { description: 'The node after the change', schema: nodeAnswer } },
    errors: { 404: 'NODE_NOT_FOUND' },
  },
  delete: { summary: 'Delete a node and its readings', auth: ['superadmin', 'distributor'], params: uuidParam, responses: { 204: { description: 'Deleted' } }, errors: { 404: 'NODE_NOT_FOUND' } },
  poll: {
    summary: 'Poll every active channel of the node now',
    description: 'Queues one poll job per channel; follow statusUrl (GET /api/v1/jobs/{id}).',
    auth: ALL_ROLES,
    params: uuidParam,
    responses: { 202: { description: 'Queued', schema: dataOf(pollAcceptedSchema) } },
    errors: { 403: 'The node has no active channel to poll', 404: 'NODE_NOT_FOUND' },
  },
} satisfies Record<string, RouteDoc>;

export function nodesRoutes(core: Core): Router {
  const router = Router();
  const { nodes, communities } = core.repos;

  router.post('/nodes', apiDoc(DOCS.create), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const input = parse(createNodeSchema, req.body, 'body');
    let community: Community | undefined;
    if (!input.communityId) {
      if (auth.scope.role !== 'superadmin') throw new ValidationError('Invalid body: body.communityId: is required for a distributor key');
      community = await communities.findBySlug('default');
      if (!community) throw new NotFoundError('The default community is missing: run the migrations', 'COMMUNITY_NOT_FOUND');
    } else {
      community = await communities.findInScope(auth.scope, input.communityId);
      if (!community) throw new NotFoundError(`Community ${input.communityId} was not found`, 'COMMUNITY_NOT_FOUND');
    }
    const created = await nodes.create(input, community.id);
    if (created === 'node_key_taken') throw new ConflictError(`A node with nodeKey "${input.nodeKey}" already exists`, 'NODE_KEY_TAKEN');
    req.log.info({ nodeId: created.id, channels: created.channels.length }, 'node created');
    await core.events.publish(
      'NODE_PROVISIONED',
      { kind: 'community', communityId: community.id, distributorId: community.distributorId },
      { node_id: created.id, hardware_id: created.nodeKey, category: created.category },
    );
    res.status(201).location(`/api/v1/nodes/${created.id}`).json({ data: created });
  });

  router.get('/nodes', apiDoc(DOCS.list), async (req, res) => {
    const auth = authOf(req);
    const { limit, offset, cursor, count, ...filter } = parse(listQuery, req.query, 'query');
    const after = cursor === undefined ? undefined : decodeNodeListCursor(cursor);
    if (cursor !== undefined && !after) throw new ValidationError('Invalid query: query.cursor: is not a cursor this API returned');
    if (after && req.query.offset !== undefined) throw new ValidationError('Invalid query: query.offset: cannot be combined with cursor');
    const wantsCount = count === undefined ? !after : count === 'exact';
    const page = await nodes.list(auth.scope, filter, { limit, after, offset: after ? undefined : offset, count: wantsCount });
    res.json({ data: page.items, page: { limit, ...(after ? {} : { offset }), ...(page.total === undefined ? {} : { total: page.total }), nextCursor: page.nextCursor } });
  });

  // Before /nodes/:id, which would read "summary" as an id.
  router.get('/nodes/summary', apiDoc(DOCS.summary), async (req, res) => {
    const filter = parse(summaryQuery, req.query, 'query');
    res.json({ data: await nodes.summary(authOf(req).scope, filter) });
  });

  router.get('/nodes/:id', apiDoc(DOCS.get), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const node = await nodes.get(authOf(req).scope, id);
    if (!node) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    res.json({ data: node });
  });

  router.patch('/nodes/:id', apiDoc(DOCS.update), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const { id } = parse(uuidParam, req.params, 'path');
    const input = parse(updateNodeSchema, req.body, 'body');
    const node = await updateNode({ db: core.db, nodes, nodeStatus: core.repos.nodeStatus, communities, events: core.events }, { scope: auth.scope, id, change: input });
    if (!node) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    res.json({ data: node });
  });

  router.delete('/nodes/:id', apiDoc(DOCS.delete), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const { id } = parse(uuidParam, req.params, 'path');
    if (!(await nodes.delete(auth.scope, id))) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    res.status(204).end();
  });

  /** On-demand poll of every active channel of the node; 202 with the job ids. */
  router.post('/nodes/:id/poll', apiDoc(DOCS.poll), async (req, res) => {
    const auth = authOf(req);
    const { id } = parse(uuidParam, req.params, 'path');
    const channelIds = await nodes.channelIdsOfNode(auth.scope, id);
    if (!channelIds) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    if (channelIds.length === 0) throw new ForbiddenError('The node has no active channel to poll');
    const jobs = [];
    for (const nodeChannelId of channelIds) {
      const job = await core.producers.enqueuePoll({ nodeChannelId, reason: 'on-demand', meta: { requestId: String(req.id) } });
      jobs.push({ jobId: job.id, nodeChannelId });
    }
    res.status(202).json({ data: { jobId: jobs[0]?.jobId, jobs, statusUrl: `/api/v1/jobs/${jobs[0]?.jobId}` } });
  });

  return router;
}

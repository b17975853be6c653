import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import type { Community } from '../../shared/communities/communities.repository';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors';
import { channelInputSchema, createNodeSchema, NODE_STATUSES, updateNodeSchema, ANALYTICS_TYPES, NODE_CATEGORIES } from '../../shared/nodes/node';
import { updateNode } from '../../shared/nodes/update-node';
import { createNode } from '../../shared/nodes/create-node';
import { detachChannel } from '../../shared/nodes/detach-channel';
import { deleteNode } from '../../shared/nodes/delete-node';
import { purgeReadings } from '../../shared/nodes/purge-readings';
import { decodeNodeListCursor } from '../../shared/nodes/node-list-cursor';
import { actorOf, authOf, requireRole } from '../middleware/auth';
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

/** `confirm`: the node's nodeKey, which the caller must know, so a wrong id never deletes another node's history. */
const confirmField = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `is required: the node's nodeKey, to confirm that ${what} deleted for good` : 'must be one string') }).min(1).max(64);
const deleteQuery = z.object({ confirm: confirmField('the node and all its readings are') }).strict();

const channelNumber = z.coerce
  .number({ error: "must be the ThingSpeak channel number (the node's channels[].channelId), not the channel's uuid" })
  .int('must be a whole ThingSpeak channel number')
  .positive('must be a positive ThingSpeak channel number')
  .max(Number.MAX_SAFE_INTEGER);
const channelParams = uuidParam.extend({ channelId: channelNumber });

const purgeBody = z
  .object({
    confirm: confirmField('its readings are'),
    before: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional().meta({ description: 'Only readings recorded before this instant; all of them when absent' }),
    channelId: channelInputSchema.shape.channelId.optional().meta({ description: "Only this channel's readings (ThingSpeak channel number); every channel's when absent" }),
  })
  .strict();
const purgeAnswer = dataOf(
  z.object({
    removed: z.number().int().meta({ description: 'Readings deleted' }),
    before: z.string().nullable(),
    channels: z.array(z.object({ channelId: z.number().int(), removed: z.number().int() })),
  }),
);

const DOCS = {
  create: {
    summary: 'Create a node with its ThingSpeak channels',
    description: 'Without communityId (superadmin only) the node goes to the `default` community. Read keys are stored encrypted and never returned. Audited (node.create).',
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
    description:
      'Only the fields given change. `channels` upserts: a listed channelId that is new is attached; a known one changes only the fields sent ' +
      '(fieldMapping, readKey) and becomes active unless `active: false` is sent, so listing a detached channel attaches it again with its history. ' +
      'Channels left out are never touched: an edit never deletes a channel or a reading (detach with DELETE /nodes/{id}/channels/{channelId}). ' +
      'Channel changes are audited.',
    auth: ['superadmin', 'distributor'],
    params: uuidParam,
    body: updateNodeSchema,
    responses: { 200: { description: 'The node after the change', schema: nodeAnswer } },
    errors: { 404: 'NODE_NOT_FOUND' },
  },
  delete: {
    summary: 'Delete a node and all its readings, once confirmed',
    description:
      "Needs `?confirm=<the node's nodeKey>`; without it or with another value the answer is 400 and nothing is deleted. " +
      'Deletes the node, its channels, rules, alerts and every stored reading; audited (who, which node, how many readings). ' +
      'To stop polling and keep the history, PATCH `active: false` or detach channels instead.',
    auth: ['superadmin', 'distributor'],
    params: uuidParam,
    query: deleteQuery,
    responses: { 204: { description: 'Deleted' } },
    errors: { 400: "confirm is missing or is not the node's nodeKey (the message says what to send); nothing was deleted", 404: 'NODE_NOT_FOUND' },
  },
  detachChannel: {
    summary: 'Detach a channel from a node, keeping its readings',
    description:
      '`channelId` is the ThingSpeak channel number (as in the node\'s `channels[].channelId`). The channel becomes inactive: it is no longer polled, ' +
      'and its readings, cursor and epochs stay (GET /nodes/{id}/readings lists them; filter with `channelId`). PATCH with the channel listed attaches it again. ' +
      'Audited; detaching a detached channel changes nothing. Answers with the node.',
    auth: ['superadmin', 'distributor'],
    params: channelParams,
    responses: { 200: { description: 'The node, the channel now inactive', schema: nodeAnswer } },
    errors: { 404: 'NODE_NOT_FOUND, or CHANNEL_NOT_FOUND: the node has no such channel' },
  },
  purgeReadings: {
    summary: "Delete a node's stored readings for good (superadmin only)",
    description:
      "Needs `confirm` = the node's nodeKey. Deletes the readings recorded before `before` (all when absent), of `channelId` only when given; audited. " +
      "Each channel's poll cursor is kept, so purged entries are never fetched again; the node's latest state and status are not recomputed. " +
      'Refused (409) while a channel is still importing its history.',
    auth: ['superadmin'],
    params: uuidParam,
    body: purgeBody,
    responses: { 200: { description: 'How many readings were deleted', schema: purgeAnswer } },
    errors: {
      400: "confirm is not the node's nodeKey, or the node has no channel `channelId`; nothing was deleted",
      403: 'Only a superadmin key may purge readings',
      404: 'NODE_NOT_FOUND',
      409: 'IMPORT_IN_PROGRESS: a channel is still importing its history; purge once it is done',
    },
  },
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
    const created = await createNode({ db: core.db, nodes }, { actor: actorOf(auth), communityId: community.id, node: input });
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
    const deps = { db: core.db, nodes, nodeStatus: core.repos.nodeStatus, communities, events: core.events };
    const node = await updateNode(deps, { scope: auth.scope, id, change: input, actor: actorOf(auth) });
    if (!node) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    res.json({ data: node });
  });

  router.delete('/nodes/:id', apiDoc(DOCS.delete), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const { id } = parse(uuidParam, req.params, 'path');
    const { confirm } = parse(deleteQuery, req.query, 'query');
    const result = await deleteNode({ db: core.db }, { scope: auth.scope, actor: actorOf(auth), id, confirm });
    if (result.outcome === 'not_found') throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    if (result.outcome === 'unconfirmed') {
      const message = `does not match the node's nodeKey: nothing was deleted. Deleting node ${id} deletes its ${result.readings} stored readings for good; send ?confirm=<its nodeKey> to go ahead`;
      throw new ValidationError(`Invalid query: query.confirm: ${message}`, [{ field: 'query.confirm', message }]);
    }
    req.log.info({ nodeId: id, readingsDeleted: result.readingsDeleted }, 'node deleted');
    res.status(204).end();
  });

  router.delete('/nodes/:id/channels/:channelId', apiDoc(DOCS.detachChannel), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const { id, channelId } = parse(channelParams, req.params, 'path');
    const node = await detachChannel({ db: core.db, nodes }, { scope: auth.scope, actor: actorOf(auth), nodeId: id, channelId });
    res.json({ data: node });
  });

  router.post('/nodes/:id/purge-readings', apiDoc(DOCS.purgeReadings), async (req, res) => {
    const auth = authOf(req);
    if (auth.scope.role !== 'superadmin') {
      throw new ForbiddenError(`Purging readings deletes history for good, so only a superadmin key may do it (your key is ${auth.scope.role})`);
    }
    const { id } = parse(uuidParam, req.params, 'path');
    const input = parse(purgeBody, req.body, 'body');
    const before = input.before === undefined ? undefined : new Date(input.before);
    const result = await purgeReadings({ db: core.db }, { scope: auth.scope, actor: actorOf(auth), id, confirm: input.confirm, before, channelId: input.channelId });
    switch (result.outcome) {
      case 'not_found':
        throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
      case 'unconfirmed': {
        const message = `does not match the node's nodeKey: nothing was deleted. Send { "confirm": "<node ${id}'s nodeKey>" } to purge its readings`;
        throw new ValidationError(`Invalid body: body.confirm: ${message}`, [{ field: 'body.confirm', message }]);
      }
      case 'unknown_channel': {
        const message = `node ${id} has no channel ${input.channelId} (its channels: ${result.channels.join(', ') || 'none'}); nothing was deleted`;
        throw new ValidationError(`Invalid body: body.channelId: ${message}`, [{ field: 'body.channelId', message }]);
      }
      case 'importing':
        throw new ConflictError(`Channel ${result.channels.join(', ')} is still importing its history, whose next pages would store older readings again: purge once the import is done`, 'IMPORT_IN_PROGRESS');
      case 'purged':
        req.log.info({ nodeId: id, removed: result.removed, before: input.before ?? null }, 'readings purged');
        res.json({ data: { removed: result.removed, before: before?.toISOString() ?? null, channels: result.channels } });
    }
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

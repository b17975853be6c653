import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors';
import { createCommunity } from '../../shared/communities/community-actions';
import { actorOf, authOf, requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf, offsetPageOf } from '../openapi/envelopes';
import { communitySchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { paginationSchema } from './pagination';

const createCommunityBody = z
  .object({
    slug: z.string().min(2).max(64).regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and "-", starting with a letter or digit'),
    name: z.string().trim().min(1).max(200),
    distributorId: z.string().uuid().nullable().optional(),
  })
  .strict();

const listQuery = paginationSchema.strict();

const DOCS = {
  create: {
    summary: 'Create a community',
    description: "A distributor's key creates communities of its own distributor; a superadmin gives distributorId (or none). Audited (community.create).",
    auth: ['superadmin', 'distributor'],
    body: createCommunityBody,
    responses: { 201: { description: 'Created', schema: dataOf(communitySchema) } },
    errors: { 404: 'DISTRIBUTOR_NOT_FOUND', 409: 'COMMUNITY_SLUG_TAKEN: the slug is in use' },
  },
  list: {
    summary: 'List the communities in scope',
    auth: ALL_ROLES,
    query: listQuery,
    responses: { 200: { description: 'A page of communities', schema: offsetPageOf(communitySchema) } },
  },
} satisfies Record<string, RouteDoc>;

export function communitiesRoutes(core: Core): Router {
  const router = Router();
  const { communities } = core.repos;

  router.post('/communities', apiDoc(DOCS.create), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const input = parse(createCommunityBody, req.body, 'body');
    let distributorId = input.distributorId ?? null;
    if (auth.scope.role === 'distributor') {
      if (distributorId && distributorId !== auth.scope.distributorId) throw new ForbiddenError('A distributor key can only create communities of its own distributor');
      distributorId = auth.scope.distributorId;
    } else if (distributorId && !(await communities.distributorExists(distributorId))) {
      throw new NotFoundError(`Distributor ${distributorId} was not found`, 'DISTRIBUTOR_NOT_FOUND');
    }
    const created = await createCommunity({ db: core.db, communities }, { actor: actorOf(auth), community: { slug: input.slug, name: input.name, distributorId } });
    if (created === 'slug_taken') throw new ConflictError(`A community with slug "${input.slug}" already exists`, 'COMMUNITY_SLUG_TAKEN');
    res.status(201).json({ data: created });
  });

  router.get('/communities', apiDoc(DOCS.list), async (req, res) => {
    const page = parse(listQuery, req.query, 'query');
    const result = await communities.list(authOf(req).scope, page);
    res.json({ data: result.items, page: { ...page, total: result.total } });
  });

  return router;
}

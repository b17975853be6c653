import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors';
import { authOf, requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { paginationSchema } from './pagination';

const createCommunity = z
  .object({
    slug: z.string().min(2).max(64).regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and "-", starting with a letter or digit'),
    name: z.string().trim().min(1).max(200),
    distributorId: z.string().uuid().nullable().optional(),
  })
  .strict();

export function communitiesRoutes(core: Core): Router {
  const router = Router();
  const { communities } = core.repos;

  router.post('/communities', async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const input = parse(createCommunity, req.body, 'body');
    let distributorId = input.distributorId ?? null;
    if (auth.scope.role === 'distributor') {
      if (distributorId && distributorId !== auth.scope.distributorId) throw new ForbiddenError('A distributor key can only create communities of its own distributor');
      distributorId = auth.scope.distributorId;
    } else if (distributorId && !(await communities.distributorExists(distributorId))) {
      throw new NotFoundError(`Distributor ${distributorId} was not found`, 'DISTRIBUTOR_NOT_FOUND');
    }
    const created = await communities.create({ slug: input.slug, name: input.name, distributorId });
    if (created === 'slug_taken') throw new ConflictError(`A community with slug "${input.slug}" already exists`, 'COMMUNITY_SLUG_TAKEN');
    res.status(201).json({ data: created });
  });

  router.get('/communities', async (req, res) => {
    const page = parse(paginationSchema.strict(), req.query, 'query');
    const result = await communities.list(authOf(req).scope, page);
    res.json({ data: result.items, page: { ...page, total: result.total } });
  });

  return router;
}

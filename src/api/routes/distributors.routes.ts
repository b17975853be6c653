import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ConflictError } from '../../shared/errors';
import { createDistributor } from '../../shared/communities/community-actions';
import { actorOf, requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf } from '../openapi/envelopes';
import { distributorSchema } from '../openapi/resource-schemas';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';

const createDistributorBody = z.object({ name: z.string().trim().min(1).max(200) }).strict();

const DOCS = {
  create: {
    summary: 'Create a distributor',
    auth: ['superadmin'],
    description: 'Audited (distributor.create).',
    body: createDistributorBody,
    responses: { 201: { description: 'Created', schema: dataOf(distributorSchema) } },
    errors: { 409: 'DISTRIBUTOR_NAME_TAKEN: a distributor has this name' },
  },
  list: { summary: 'List distributors', auth: ['superadmin'], responses: { 200: { description: 'Every distributor', schema: dataOf(z.array(distributorSchema)) } } },
} satisfies Record<string, RouteDoc>;

export function distributorsRoutes(core: Core): Router {
  const router = Router();
  router.post('/distributors', apiDoc(DOCS.create), async (req, res) => {
    const auth = requireRole(req, 'superadmin');
    const input = parse(createDistributorBody, req.body, 'body');
    const created = await createDistributor({ db: core.db, communities: core.repos.communities }, { actor: actorOf(auth), name: input.name });
    if (created === 'name_taken') throw new ConflictError(`A distributor named "${input.name}" already exists`, 'DISTRIBUTOR_NAME_TAKEN');
    res.status(201).json({ data: created });
  });
  router.get('/distributors', apiDoc(DOCS.list), async (req, res) => {
    requireRole(req, 'superadmin');
    res.json({ data: await core.repos.communities.listDistributors() });
  });
  return router;
}

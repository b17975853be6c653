import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ConflictError } from '../../shared/errors';
import { requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';

const createDistributor = z.object({ name: z.string().trim().min(1).max(200) }).strict();

export function distributorsRoutes(core: Core): Router {
  const router = Router();
  router.post('/distributors', async (req, res) => {
    requireRole(req, 'superadmin');
    const input = parse(createDistributor, req.body, 'body');
    const created = await core.repos.communities.createDistributor(input.name);
    if (created === 'name_taken') throw new ConflictError(`A distributor named "${input.name}" already exists`, 'DISTRIBUTOR_NAME_TAKEN');
    res.status(201).json({ data: created });
  });
  router.get('/distributors', async (req, res) => {
    requireRole(req, 'superadmin');
    res.json({ data: await core.repos.communities.listDistributors() });
  });
  return router;
}

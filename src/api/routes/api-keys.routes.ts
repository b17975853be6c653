import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors';
import { requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { uuidParam } from './pagination';

const createKey = z
  .object({
    label: z.string().trim().min(1).max(200),
    role: z.enum(['superadmin', 'distributor', 'customer']),
    distributorId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
  })
  .strict();

/**
 * API keys: superadmins issue any key; a distributor issues customer keys for its own communities.
 * The key itself is shown once, in the 201 response, and only its hash is stored.
 */
export function apiKeysRoutes(core: Core): Router {
  const router = Router();
  const { apiKeys, communities } = core.repos;

  router.post('/api-keys', async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const input = parse(createKey, req.body, 'body');
    if (input.role === 'superadmin' && (input.distributorId || input.communityId)) {
      throw new ValidationError('Invalid body: a superadmin key has no distributorId or communityId');
    }
    if (input.role === 'distributor' && (!input.distributorId || input.communityId)) {
      throw new ValidationError('Invalid body: body.distributorId: is required for a distributor key (and communityId is not allowed)');
    }
    if (input.role === 'customer' && !input.communityId) throw new ValidationError('Invalid body: body.communityId: is required for a customer key');
    if (auth.scope.role === 'distributor' && input.role !== 'customer') throw new ForbiddenError('A distributor key can only issue customer keys');
    if (input.communityId && !(await communities.findInScope(auth.scope, input.communityId))) {
      throw new NotFoundError(`Community ${input.communityId} was not found`, 'COMMUNITY_NOT_FOUND');
    }
    if (input.distributorId && !(await communities.distributorExists(input.distributorId))) {
      throw new NotFoundError(`Distributor ${input.distributorId} was not found`, 'DISTRIBUTOR_NOT_FOUND');
    }
    const { key, record } = await apiKeys.create({
      label: input.label,
      role: input.role,
      distributorId: input.role === 'distributor' ? input.distributorId! : null,
      communityId: input.role === 'customer' ? input.communityId! : null,
    });
    req.log.info({ apiKeyId: record.id, role: record.role }, 'api key issued');
    res.status(201).json({ data: { ...record, key }, message: 'Store the key now: it is not shown again' });
  });

  router.get('/api-keys', async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const keys = await apiKeys.list(auth.scope.role === 'distributor' ? { distributorId: auth.scope.distributorId } : {});
    res.json({ data: keys });
  });

  router.delete('/api-keys/:id', async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const { id } = parse(uuidParam, req.params, 'path');
    const key = await apiKeys.findById(id);
    const visible =
      key && (auth.scope.role === 'superadmin' || (key.communityId !== null && (await communities.findInScope(auth.scope, key.communityId)) !== undefined));
    if (!key || !visible) throw new NotFoundError(`API key ${id} was not found`, 'API_KEY_NOT_FOUND');
    await apiKeys.revoke(id);
    res.status(204).end();
  });
  return router;
}

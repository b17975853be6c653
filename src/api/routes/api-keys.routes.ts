import { Router } from 'express';
import { apiKeyRevocationsChannel, type ApiKeyCache } from '../../shared/auth/api-key-cache';
import { MAX_API_KEY_LIFETIME_MS } from '../../shared/auth/api-key-expiry';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors';
import { issueApiKey, revokeApiKey } from '../../shared/auth/api-key-actions';
import { actorOf, requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf } from '../openapi/envelopes';
import { apiKeySchema } from '../openapi/resource-schemas';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';
import { uuidParam } from './pagination';

const createKey = z
  .object({
    label: z.string().trim().min(1).max(200),
    role: z.enum(['superadmin', 'distributor', 'customer']),
    distributorId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
    expiresAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
      .optional()
      .meta({ description: 'When the key stops working (at most 2 years ahead); without it, the key works until revoked' }),
  })
  .strict();

/** The key's expiry as a Date, or null; in the future and at most MAX_API_KEY_LIFETIME_MS ahead. */
function expiryOf(expiresAt: string | undefined, nowMs: number): Date | null {
  if (expiresAt === undefined) return null;
  const at = new Date(expiresAt);
  if (at.getTime() <= nowMs) throw new ValidationError('Invalid body: body.expiresAt: must be in the future');
  if (at.getTime() > nowMs + MAX_API_KEY_LIFETIME_MS) throw new ValidationError('Invalid body: body.expiresAt: must be at most 2 years ahead');
  return at;
}

const DOCS = {
  create: {
    summary: 'Issue an API key',
    description:
      'superadmin: any key (a distributor key needs distributorId, a customer key communityId). distributor: customer keys for its own communities. The key is in this answer only: just its hash is stored (the audit entry, api_key.issue, names its label and prefix). With expiresAt the key is refused from then on (401 API_KEY_EXPIRED).',
    auth: ['superadmin', 'distributor'],
    body: createKey,
    responses: { 201: { description: 'Issued', schema: dataOf(apiKeySchema.extend({ key: z.string().meta({ description: 'The API key: store it now' }) }), { message: z.string() }) } },
    errors: { 403: 'A distributor key can only issue customer keys', 404: 'COMMUNITY_NOT_FOUND or DISTRIBUTOR_NOT_FOUND' },
  },
  list: {
    summary: 'List API keys (never the keys themselves)',
    description: "A distributor sees its own distributor's keys.",
    auth: ['superadmin', 'distributor'],
    responses: { 200: { description: 'The keys', schema: dataOf(z.array(apiKeySchema)) } },
  },
  revoke: {
    summary: 'Revoke an API key',
    description: 'Refused from the next request on, by every API process; its live WebSockets are closed with code 4401 "api key revoked". A revoked key is never restored. Audited (api_key.revoke).',
    auth: ['superadmin', 'distributor'],
    params: uuidParam,
    responses: { 204: { description: 'Revoked' } },
    errors: { 404: 'API_KEY_NOT_FOUND' },
  },
} satisfies Record<string, RouteDoc>;

/**
 * API keys: superadmins issue any key; a distributor issues customer keys for its own communities.
 * The key itself is shown once, in the 201 response, and only its hash is stored.
 */
export function apiKeysRoutes(core: Core, cache: Pick<ApiKeyCache, 'invalidate'>): Router {
  const router = Router();
  const { apiKeys, communities } = core.repos;

  router.post('/api-keys', apiDoc(DOCS.create), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const input = parse(createKey, req.body, 'body');
    const expiresAt = expiryOf(input.expiresAt, Date.now());
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
    const { key, record } = await issueApiKey(
      { db: core.db, apiKeys },
      {
        actor: actorOf(auth),
        key: {
          label: input.label,
          role: input.role,
          distributorId: input.role === 'distributor' ? input.distributorId! : null,
          communityId: input.role === 'customer' ? input.communityId! : null,
          expiresAt,
        },
      },
    );
    req.log.info({ apiKeyId: record.id, role: record.role, expiresAt: record.expiresAt }, 'api key issued');
    res.status(201).json({ data: { ...record, key }, message: 'Store the key now: it is not shown again' });
  });

  router.get('/api-keys', apiDoc(DOCS.list), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const keys = await apiKeys.list(auth.scope.role === 'distributor' ? { distributorId: auth.scope.distributorId } : {});
    res.json({ data: keys });
  });

  router.delete('/api-keys/:id', apiDoc(DOCS.revoke), async (req, res) => {
    const auth = requireRole(req, 'superadmin', 'distributor');
    const { id } = parse(uuidParam, req.params, 'path');
    const key = await apiKeys.findById(id);
    const visible =
      key && (auth.scope.role === 'superadmin' || (key.communityId !== null && (await communities.findInScope(auth.scope, key.communityId)) !== undefined));
    if (!key || !visible) throw new NotFoundError(`API key ${id} was not found`, 'API_KEY_NOT_FOUND');
    await revokeApiKey({ db: core.db, apiKeys }, { actor: actorOf(auth), key });
    // Refused from the next request on, and its live sockets closed: here at once (the cache tells
    // this process's live hub), in every other API process through Redis.
    cache.invalidate(id);
    await core.redis.publish(apiKeyRevocationsChannel(core.config.queues.prefix), id).catch((err: unknown) => {
      req.log.warn({ err, keyId: id }, 'revocation not announced to other API processes: they refuse the key within API_KEY_CACHE_MS and close its sockets within LIVE_KEY_RECHECK_MS');
    });
    res.status(204).end();
  });
  return router;
}

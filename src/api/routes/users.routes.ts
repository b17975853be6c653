import { Router } from 'express';
import { z } from 'zod';
import { userChangesChannel } from '../../shared/auth/user-changes';
import { createUser, deleteUser, updateUser, type ManageUsersDeps } from '../../shared/auth/manage-users';
import type { Core } from '../../shared/core';
import { NotFoundError } from '../../shared/errors';
import { actorOf, requireRole } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf } from '../openapi/envelopes';
import { userSchema } from '../openapi/resource-schemas';
import { apiDoc, type RouteDoc } from '../openapi/route-doc';
import { uuidParam } from './pagination';

const roleEnum = z.enum(['superadmin', 'distributor', 'customer']);
const email = z.string().trim().email().max(320);
const label = z.string().trim().min(1).max(200);

const createUserBody = z
  .object({
    id: z.string().uuid().meta({ description: 'The Supabase user id (Authentication > Users in the Supabase dashboard; the access token\'s sub)' }),
    email: email.optional(),
    label: label.optional(),
    role: roleEnum,
    distributorId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
  })
  .strict();

const updateUserBody = z
  .object({
    email: email.nullable().optional(),
    label: label.nullable().optional(),
    role: roleEnum.optional(),
    distributorId: z.string().uuid().nullable().optional(),
    communityId: z.string().uuid().nullable().optional(),
    disabled: z.boolean().optional().meta({ description: 'true: refused at once (403 USER_DISABLED) and its live sockets closed within 15 s; false: enabled again' }),
  })
  .strict();

const MANAGERS = ['superadmin', 'distributor'] as const;
const DOCS = {
  create: {
    summary: 'Give a Supabase user a role here',
    description:
      'The user signs in with Supabase; this API decides its role and scope (never the token\'s user_metadata). superadmin: any user (a distributor needs distributorId, a customer communityId). distributor: customer users of its own communities.',
    auth: MANAGERS,
    body: createUserBody,
    responses: { 201: { description: 'Provisioned', schema: dataOf(userSchema) } },
    errors: { 403: 'A distributor may only manage customer users', 404: 'COMMUNITY_NOT_FOUND or DISTRIBUTOR_NOT_FOUND', 409: 'USER_EXISTS' },
  },
  list: {
    summary: 'List users',
    description: 'A distributor sees the customer users of its communities.',
    auth: MANAGERS,
    responses: { 200: { description: 'The users', schema: dataOf(z.array(userSchema)) } },
  },
  get: { summary: 'One user', auth: MANAGERS, params: uuidParam, responses: { 200: { description: 'The user', schema: dataOf(userSchema) } }, errors: { 404: 'USER_NOT_FOUND' } },
  update: {
    summary: 'Change a user\'s role, scope, label or email, or disable it',
    description: 'A change of role, scope or disabled takes effect at the next request; the user\'s live sockets close within 15 s (4401 disabled, 4409 re-scoped).',
    auth: MANAGERS,
    params: uuidParam,
    body: updateUserBody,
    responses: { 200: { description: 'The user', schema: dataOf(userSchema) } },
    errors: { 403: 'A distributor may only manage customer users', 404: 'USER_NOT_FOUND, COMMUNITY_NOT_FOUND or DISTRIBUTOR_NOT_FOUND' },
  },
  remove: {
    summary: 'Delete a user',
    description: 'Refused from the next request on (403 USER_NOT_PROVISIONED); its live sockets close within 15 s (4401). The Supabase account itself is not touched.',
    auth: MANAGERS,
    params: uuidParam,
    responses: { 204: { description: 'Deleted' } },
    errors: { 404: 'USER_NOT_FOUND' },
  },
} satisfies Record<string, RouteDoc>;

const notFound = (id: string) => new NotFoundError(`User ${id} was not found`, 'USER_NOT_FOUND');

/**
 * Users: people who sign in with Supabase, with the role and scope this API gives them. The same
 * rules as API keys: superadmins manage anyone, a distributor the customers of its communities.
 */
export function usersRoutes(core: Core): Router {
  const router = Router();
  const deps: ManageUsersDeps = { db: core.db, users: core.repos.users, communities: core.repos.communities };

  /** Every API process closes the user's live sockets at once; the recheck (LIVE_USER_RECHECK_MS) covers a lost announcement. */
  const announce = (userId: string, log: typeof core.log) =>
    core.redis.publish(userChangesChannel(core.config.queues.prefix), userId).catch((err: unknown) => {
      log.warn({ err, userId }, 'user change not announced: live sockets close at the next user recheck (LIVE_USER_RECHECK_MS)');
    });

  router.post('/users', apiDoc(DOCS.create), async (req, res) => {
    const auth = requireRole(req, ...MANAGERS);
    const input = parse(createUserBody, req.body, 'body');
    const user = await createUser(deps, {
      scope: auth.scope,
      actor: actorOf(auth),
      user: {
        id: input.id.toLowerCase(),
        email: input.email ?? null,
        label: input.label ?? null,
        role: input.role,
        distributorId: input.distributorId ?? null,
        communityId: input.communityId ?? null,
      },
    });
    req.log.info({ userId: user.id, role: user.role }, 'user provisioned');
    res.status(201).json({ data: user });
  });

  router.get('/users', apiDoc(DOCS.list), async (req, res) => {
    const auth = requireRole(req, ...MANAGERS);
    res.json({ data: await core.repos.users.list(auth.scope) });
  });

  router.get('/users/:id', apiDoc(DOCS.get), async (req, res) => {
    const auth = requireRole(req, ...MANAGERS);
    const { id } = parse(uuidParam, req.params, 'path');
    const user = await core.repos.users.findManageable(auth.scope, id.toLowerCase());
    if (!user) throw notFound(id);
    res.json({ data: user });
  });

  router.patch('/users/:id', apiDoc(DOCS.update), async (req, res) => {
    const auth = requireRole(req, ...MANAGERS);
    const { id } = parse(uuidParam, req.params, 'path');
    const change = parse(updateUserBody, req.body ?? {}, 'body');
    const result = await updateUser(deps, { scope: auth.scope, actor: actorOf(auth), id: id.toLowerCase(), change });
    if (!result) throw notFound(id);
    if (result.accessChanged) await announce(result.user.id, req.log);
    res.json({ data: result.user });
  });

  router.delete('/users/:id', apiDoc(DOCS.remove), async (req, res) => {
    const auth = requireRole(req, ...MANAGERS);
    const { id } = parse(uuidParam, req.params, 'path');
    if (!(await deleteUser(deps, { scope: auth.scope, actor: actorOf(auth), id: id.toLowerCase() }))) throw notFound(id);
    await announce(id.toLowerCase(), req.log);
    res.status(204).end();
  });
  return router;
}

import { Router } from 'express';
import { authOf, type AuthContext } from '../middleware/auth';
import { dataOf } from '../openapi/envelopes';
import { meSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';

const DOC: RouteDoc = {
  summary: 'Who am I: the caller\'s kind, id, role and scope',
  description: 'For a dashboard after sign-in: `kind` is `user` (a Supabase access token) or `api_key`.',
  tag: 'me',
  auth: ALL_ROLES,
  responses: { 200: { description: 'The caller', schema: dataOf(meSchema) } },
};

function describeCaller(auth: AuthContext) {
  const { role, ...scope } = auth.scope;
  if (auth.kind === 'api_key') return { kind: 'api_key' as const, id: auth.key.id, role, scope, label: auth.key.label, email: null };
  return { kind: 'user' as const, id: auth.user.id, role, scope, label: auth.user.label, email: auth.email };
}

/** GET /me: who the request authenticated as (any role, any kind). */
export function meRoutes(): Router {
  const router = Router();
  router.get('/me', apiDoc(DOC), (req, res) => {
    res.json({ data: describeCaller(authOf(req)) });
  });
  return router;
}

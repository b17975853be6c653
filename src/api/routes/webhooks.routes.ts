import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import type { Scope } from '../../shared/auth/scope';
import { NotFoundError } from '../../shared/errors';
import { createAddressPolicy } from '../../shared/net/address-policy';
import { NOTIFICATION_STATUSES } from '../../shared/notifications/notification-status';
import { NOTIFICATION_EVENTS } from '../../shared/notifications/notification-event';
import { createWebhookSubscription, deleteWebhookSubscription, hostOf, sendTestPing, updateWebhookSubscription, visibleSubscription } from '../../shared/notifications/webhook-subscription-actions';
import { createNotificationsRepository } from '../../shared/notifications/notifications.repository';
import { webhookSubscriptionSchemas, type CreateWebhookSubscriptionInput } from '../../shared/notifications/webhook-subscription';
import { createWebhookSubscriptionsRepository, type SubscriptionTarget } from '../../shared/notifications/webhook-subscriptions.repository';
import { actorOf, authOf, principalOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf, offsetPageOf, uuid } from '../openapi/envelopes';
import { webhookDeliverySchema, webhookSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { paginationSchema, uuidParam } from './pagination';

const listQuery = paginationSchema
  .extend({
    communityId: z.string().uuid().optional(),
    distributorId: z.string().uuid().optional(),
    active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    event: z.enum(NOTIFICATION_EVENTS).optional(),
  })
  .strict();

const deliveriesQuery = paginationSchema.extend({ status: z.enum(NOTIFICATION_STATUSES).optional() }).strict();


const WHO_MAY_CHANGE = 'A customer key may change only the subscriptions it created; a distributor key those in its scope not created by a superadmin key; a superadmin key any.';

/**
 * Webhook subscriptions. Every role sees and creates the subscriptions of what it can see: a
 * customer its community's, a distributor its own and its communities', a superadmin all (global
 * ones too); a change is also checked on who created the subscription (tenancy/change-permission.ts).
 * The signing secret is write-only: shown once in the create response, never again.
 */
export function webhooksRoutes(core: Core): Router {
  const router = Router();
  const subscriptions = createWebhookSubscriptionsRepository(core.db, core.config.encryptionKey);
  const notifications = createNotificationsRepository(core.db);
  const schemas = webhookSubscriptionSchemas({
    requireHttps: core.config.env === 'production',
    addressPolicy: createAddressPolicy({ allowedCidrs: core.config.notifications.webhookAllowedPrivateCidrs }),
  });
  const { communities } = core.repos;

  const docs = {
    create: {
      summary: 'Subscribe a URL to events',
      description:
        'Without communityId / distributorId the subscription covers the key\'s own scope (a superadmin\'s: everything). The signing secret is in this answer only. ' +
        'A URL naming a non-public address (loopback, private, link-local, …, in any spelling) or localhost is refused with 400; host names are checked on the address they resolve to at each delivery.',
      auth: ALL_ROLES,
      body: schemas.create,
      responses: { 201: { description: 'Created', schema: dataOf(webhookSchema.extend({ secret: z.string().meta({ description: 'Signs every delivery (X-Evara-Signature); store it now' }) }), { message: z.string() }) } },
      errors: {
        404: 'COMMUNITY_NOT_FOUND or DISTRIBUTOR_NOT_FOUND',
        409: 'TENANT_LIMIT_REACHED: the community (or distributor, or the global scope) has TENANT_MAX_WEBHOOKS_PER_COMMUNITY subscriptions',
      },
    },
    list: { summary: 'List webhook subscriptions in scope', auth: ALL_ROLES, query: listQuery, responses: { 200: { description: 'A page of subscriptions', schema: offsetPageOf(webhookSchema) } } },
    get: { summary: 'A webhook subscription (never its secret)', auth: ALL_ROLES, params: uuidParam, responses: { 200: { description: 'The subscription', schema: dataOf(webhookSchema) } }, errors: { 404: 'WEBHOOK_NOT_FOUND' } },
    update: {
      summary: 'Change a webhook subscription (a new secret rotates it)',
      description: WHO_MAY_CHANGE,
      auth: ALL_ROLES,
      params: uuidParam,
      body: schemas.update,
      responses: { 200: { description: 'The subscription after the change', schema: dataOf(webhookSchema) } },
      errors: { 403: 'FORBIDDEN: the key may not change what the subscription\'s creator made', 404: 'WEBHOOK_NOT_FOUND' },
    },
    delete: {
      summary: 'Delete a webhook subscription',
      description: WHO_MAY_CHANGE,
      auth: ALL_ROLES,
      params: uuidParam,
      responses: { 204: { description: 'Deleted' } },
      errors: { 403: 'FORBIDDEN: the key may not change what the subscription\'s creator made', 404: 'WEBHOOK_NOT_FOUND' },
    },
    deliveries: {
      summary: 'The delivery log of a subscription',
      description: 'One entry per notification with its attempts, last status and outcome.',
      auth: ALL_ROLES,
      params: uuidParam,
      query: deliveriesQuery,
      responses: { 200: { description: 'A page of deliveries', schema: offsetPageOf(webhookDeliverySchema) } },
      errors: { 404: 'WEBHOOK_NOT_FOUND' },
    },
    test: {
      summary: 'Send a signed `ping` delivery',
      description: 'Through the same outbox, queue, signature, retries and delivery log as real events.',
      auth: ALL_ROLES,
      params: uuidParam,
      responses: { 202: { description: 'Queued', schema: dataOf(z.object({ notificationId: uuid, deliveriesUrl: z.string() })) } },
      errors: { 404: 'WEBHOOK_NOT_FOUND', 409: 'WEBHOOK_INACTIVE: activate it first' },
    },
  } satisfies Record<string, RouteDoc>;

  /** Where a new subscription belongs; without communityId / distributorId, the key's own scope. */
  async function targetOf(scope: Scope, input: CreateWebhookSubscriptionInput): Promise<SubscriptionTarget> {
    if (input.communityId) {
      if (!(await communities.findInScope(scope, input.communityId))) throw new NotFoundError(`Community ${input.communityId} was not found`, 'COMMUNITY_NOT_FOUND');
      return { communityId: input.communityId, distributorId: null };
    }
    if (input.distributorId) {
      const visible = scope.role === 'superadmin' ? await communities.distributorExists(input.distributorId) : scope.role === 'distributor' && scope.distributorId === input.distributorId;
      if (!visible) throw new NotFoundError(`Distributor ${input.distributorId} was not found`, 'DISTRIBUTOR_NOT_FOUND');
      return { communityId: null, distributorId: input.distributorId };
    }
    if (scope.role === 'customer') return { communityId: scope.communityId, distributorId: null };
    if (scope.role === 'distributor') return { communityId: null, distributorId: scope.distributorId };
    return { communityId: null, distributorId: null };
  }

  const actions = { db: core.db, subscriptions, notifications, producers: core.producers, outbox: core.repos.outbox };
  const visibleOr404 = (scope: Scope, id: string) => visibleSubscription(actions, scope, id);

  router.post('/webhooks', apiDoc(docs.create), async (req, res) => {
    const auth = authOf(req);
    const input = parse(schemas.create, req.body, 'body');
    const target = await targetOf(auth.scope, input);
    const { subscription, secret } = await createWebhookSubscription(actions, {
      actor: actorOf(auth),
      by: principalOf(auth),
      target,
      subscription: input,
      maxPerTarget: core.config.tenantLimits.webhooksPerCommunity,
    });
    req.log.info({ subscriptionId: subscription.id, host: hostOf(subscription.url), events: subscription.events }, 'webhook subscription created');
    res
      .status(201)
      .location(`/api/v1/webhooks/${subscription.id}`)
      .json({ data: { ...subscription, secret }, message: 'Store the secret now: it signs every delivery (X-Evara-Signature) and is not shown again' });
  });

  router.get('/webhooks', apiDoc(docs.list), async (req, res) => {
    const { limit, offset, ...filter } = parse(listQuery, req.query, 'query');
    const page = await subscriptions.list(authOf(req).scope, filter, { limit, offset });
    res.json({ data: page.items, page: { limit, offset, total: page.total } });
  });

  router.get('/webhooks/:id', apiDoc(docs.get), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    res.json({ data: await visibleOr404(authOf(req).scope, id) });
  });

  router.patch('/webhooks/:id', apiDoc(docs.update), async (req, res) => {
    const auth = authOf(req);
    const { id } = parse(uuidParam, req.params, 'path');
    const input = parse(schemas.update, req.body, 'body');
    const updated = await updateWebhookSubscription(actions, { actor: actorOf(auth), by: principalOf(auth), scope: auth.scope, id, change: input });
    req.log.info({ subscriptionId: id, changed: Object.keys(input).sort() }, 'webhook subscription updated');
    res.json({ data: updated });
  });

  router.delete('/webhooks/:id', apiDoc(docs.delete), async (req, res) => {
    const auth = authOf(req);
    const { id } = parse(uuidParam, req.params, 'path');
    await deleteWebhookSubscription(actions, { actor: actorOf(auth), by: principalOf(auth), scope: auth.scope, id });
    req.log.info({ subscriptionId: id }, 'webhook subscription deleted');
    res.status(204).end();
  });

  /** The delivery log: one entry per notification with its attempts, last status and outcome. */
  router.get('/webhooks/:id/deliveries', apiDoc(docs.deliveries), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const { limit, offset, status } = parse(deliveriesQuery, req.query, 'query');
    await visibleOr404(authOf(req).scope, id);
    const page = await notifications.listDeliveries(id, { status }, { limit, offset });
    res.json({ data: page.items, page: { limit, offset, total: page.total } });
  });

  /** Sends a `ping` through the outbox: same queue, signature, retries and delivery log as real events. */
  router.post('/webhooks/:id/test', apiDoc(docs.test), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const { notificationId } = await sendTestPing(actions, { scope: authOf(req).scope, id }, req.log);
    res.status(202).json({ data: { notificationId, deliveriesUrl: `/api/v1/webhooks/${id}/deliveries` } });
  });

  return router;
}

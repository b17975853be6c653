import type { Db } from '../db/knex';
import { inTransaction, type Tx } from '../db/transaction';
import { ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import type { Scope } from '../auth/scope';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import { assertMayChange } from '../tenancy/change-permission';
import type { Principal } from '../tenancy/principal';
import { lockTenantCap } from '../tenancy/tenant-cap-lock.repository';
import { enforceCap } from '../tenancy/tenant-limits';
import type { CreateWebhookSubscriptionInput, UpdateWebhookSubscriptionInput, WebhookSubscription } from './webhook-subscription';
import type { SubscriptionTarget, WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import type { NotificationsRepository } from './notifications.repository';
import { handOffNotifications, type HandOffDeps } from './hand-off-notifications';

export interface WebhookActionDeps {
  db: Db;
  subscriptions: WebhookSubscriptionsRepository;
}

/** Only the host goes into audit entries and logs: a URL's path or query may carry a token. */
export const hostOf = (url: string) => (URL.canParse(url) ? new URL(url).host : 'invalid-url');

const notFound = (id: string) => new NotFoundError(`Webhook ${id} was not found`, 'WEBHOOK_NOT_FOUND');

const NOUN = { one: 'webhook', many: 'webhooks' };

/** Whose cap a new subscription counts against, named for the lock and for the refusal. */
function capOwnerOf(target: SubscriptionTarget): { id: string; name: string } {
  if (target.communityId) return { id: target.communityId, name: `community ${target.communityId}` };
  if (target.distributorId) return { id: `distributor:${target.distributorId}`, name: `distributor ${target.distributorId} (distributor-wide)` };
  return { id: 'global', name: 'the global scope' };
}

/**
 * Creates a subscription, with its creator, and its audit entry together; the secret is returned
 * this once. 409 when its target (community, distributor-wide or global) already has `maxPerTarget`.
 */
export async function createWebhookSubscription(
  deps: WebhookActionDeps,
  input: { actor: AuditActor; by: Principal; target: SubscriptionTarget; subscription: CreateWebhookSubscriptionInput; maxPerTarget: number },
): Promise<{ subscription: WebhookSubscription; secret: string }> {
  return inTransaction(deps.db, async (trx) => {
    const owner = capOwnerOf(input.target);
    await lockTenantCap(trx, 'webhooks', owner.id);
    enforceCap({ what: 'webhook subscriptions', per: owner.name, max: input.maxPerTarget, setting: 'TENANT_MAX_WEBHOOKS_PER_COMMUNITY' }, await deps.subscriptions.countForTarget(trx, input.target));
    const created = await deps.subscriptions.create(input.target, input.subscription, trx, input.by);
    const s = created.subscription;
    await recordAudit(trx, { actor: input.actor, action: 'webhook.create', resourceType: 'webhook', resourceId: s.id, communityId: s.communityId, details: { host: hostOf(s.url), events: s.events, active: s.active } });
    return created;
  });
}

/** Reads the subscription in scope and refuses (403) a key that may not change what its creator made. */
async function changeableSubscription(deps: WebhookActionDeps, trx: Tx, input: { scope: Scope; by: Principal; id: string }): Promise<void> {
  const current = await deps.subscriptions.get(input.scope, input.id, trx);
  if (!current) throw notFound(input.id);
  assertMayChange(NOUN, input.by, current.createdBy);
}

/** Changes a subscription (a new secret rotates it); 404 when not in scope, 403 when the key may not change it. */
export async function updateWebhookSubscription(
  deps: WebhookActionDeps,
  input: { actor: AuditActor; by: Principal; scope: Scope; id: string; change: UpdateWebhookSubscriptionInput },
): Promise<WebhookSubscription> {
  return inTransaction(deps.db, async (trx) => {
    await changeableSubscription(deps, trx, input);
    const s = await deps.subscriptions.update(input.scope, input.id, input.change, trx);
    if (!s) throw notFound(input.id);
    // Names of the changed fields only: the secret's value never reaches the audit log.
    const changed = Object.keys(input.change).sort();
    await recordAudit(trx, { actor: input.actor, action: 'webhook.update', resourceType: 'webhook', resourceId: input.id, communityId: s.communityId, details: { changed, host: hostOf(s.url), events: s.events, active: s.active } });
    return s;
  });
}

/** Deletes a subscription; 404 when not in scope, 403 when the key may not change it. */
export async function deleteWebhookSubscription(deps: WebhookActionDeps, input: { actor: AuditActor; by: Principal; scope: Scope; id: string }): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    await changeableSubscription(deps, trx, input);
    const s = await deps.subscriptions.delete(input.scope, input.id, trx);
    if (!s) throw notFound(input.id);
    await recordAudit(trx, { actor: input.actor, action: 'webhook.delete', resourceType: 'webhook', resourceId: input.id, communityId: s.communityId, details: { host: hostOf(s.url), events: s.events } });
  });
}

/** A subscription in scope, or 404. */
export async function visibleSubscription(deps: Pick<WebhookActionDeps, 'subscriptions'>, scope: Scope, id: string): Promise<WebhookSubscription> {
  const subscription = await deps.subscriptions.get(scope, id);
  if (!subscription) throw notFound(id);
  return subscription;
}

/** Sends a `ping` through the outbox: same queue, signature, retries and delivery log as real events. */
export async function sendTestPing(
  deps: Pick<WebhookActionDeps, 'subscriptions'> & HandOffDeps & { notifications: Pick<NotificationsRepository, 'addPing'> },
  input: { scope: Scope; id: string },
  log: Logger,
): Promise<{ notificationId: string }> {
  const subscription = await visibleSubscription(deps, input.scope, input.id);
  if (!subscription.active) throw new ConflictError(`Webhook ${input.id} is inactive: activate it before sending a test`, 'WEBHOOK_INACTIVE');
  const notificationId = await deps.notifications.addPing(input.id, new Date());
  try {
    await handOffNotifications(deps, [notificationId]);
  } catch (err) {
    // The row is in the outbox: the relay queues it shortly, so the test still happens.
    log.warn({ err, notificationId }, 'test delivery not queued yet: the outbox relay will queue it');
  }
  return { notificationId };
}

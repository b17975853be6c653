import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import type { WebhookSubscriptionRow } from '../db/tables';
import type { Conn } from '../db/transaction';
import type { Scope } from '../auth/scope';
import { randomUUID } from 'node:crypto';
import { encryptSecret } from '../crypto/secret-box';
import { webhookSecretContext } from '../crypto/secret-contexts';
import type { SecretKeys } from '../crypto/secret-keyring';
import { creatorColumns, creatorOfRow, type CreatorColumns, type Principal } from '../tenancy/principal';
import type { NotificationEvent } from './notification-event';
import { generateWebhookSecret, type CreateWebhookSubscriptionInput, type UpdateWebhookSubscriptionInput, type WebhookSubscription } from './webhook-subscription';

// Every column but the secret: a row read through this repository cannot leak it.
const VIEW_COLUMNS = ['id', 'community_id', 'distributor_id', 'url', 'events', 'description', 'active', 'created_at', 'updated_at', 'created_by_key_id', 'created_by_role'].map(
  (c) => `webhook_subscriptions.${c}`,
);

/** The VIEW_COLUMNS of a row. */
type SubscriptionViewRow = Omit<WebhookSubscriptionRow, 'secret_encrypted'> & CreatorColumns;

function toSubscription(r: SubscriptionViewRow): WebhookSubscription {
  return {
    id: r.id,
    communityId: r.community_id,
    distributorId: r.distributor_id,
    url: r.url,
    events: r.events,
    description: r.description,
    active: r.active,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: creatorOfRow(r),
  };
}

/**
 * Subscriptions a key may manage: a customer its community's; a distributor its own
 * distributor-level ones and those of its communities; a superadmin all, global ones included.
 */
function scoped(conn: Conn, scope: Scope): Knex.QueryBuilder {
  const q = conn('webhook_subscriptions');
  switch (scope.role) {
    case 'superadmin':
      return q;
    case 'customer':
      return q.where('webhook_subscriptions.community_id', scope.communityId);
    case 'distributor':
      return q.where((w) =>
        w
          .where('webhook_subscriptions.distributor_id', scope.distributorId)
          .orWhereIn('webhook_subscriptions.community_id', (sub) => sub.select('id').from('communities').where('distributor_id', scope.distributorId)),
      );
  }
}

export interface SubscriptionTarget {
  communityId: string | null;
  distributorId: string | null;
}

export interface SubscriptionListFilter {
  communityId?: string;
  distributorId?: string;
  active?: boolean;
  event?: NotificationEvent;
}

export function createWebhookSubscriptionsRepository(db: Db, encryptionKey: SecretKeys) {
  return {
    /**
     * Stores the subscription; the secret (given or generated) is returned here and never again.
     * Without `createdBy` (seeds, tests) it counts as a superadmin's: no tenant can change it.
     */
    async create(target: SubscriptionTarget, input: CreateWebhookSubscriptionInput, conn: Conn = db, createdBy?: Principal): Promise<{ subscription: WebhookSubscription; secret: string }> {
      const secret = input.secret ?? generateWebhookSecret();
      // The id is chosen here: the secret is sealed to its row before the row exists.
      const id = randomUUID();
      const [row]: SubscriptionViewRow[] = await conn('webhook_subscriptions')
        .insert({
          ...(createdBy ? creatorColumns(createdBy) : {}),
          id,
          community_id: target.communityId,
          distributor_id: target.distributorId,
          url: input.url,
          events: input.events,
          secret_encrypted: encryptSecret(secret, encryptionKey, webhookSecretContext(id)),
          description: input.description ?? null,
          active: input.active,
        })
        .returning(VIEW_COLUMNS);
      return { subscription: toSubscription(row!), secret };
    },

    /** Subscriptions with exactly this target (a community's, a distributor-wide one's, or the global ones): what the cap counts. */
    async countForTarget(conn: Conn, target: SubscriptionTarget): Promise<number> {
      const q = conn('webhook_subscriptions');
      if (target.communityId) q.where('community_id', target.communityId);
      else if (target.distributorId) q.whereNull('community_id').where('distributor_id', target.distributorId);
      else q.whereNull('community_id').whereNull('distributor_id');
      const [row] = await q.count<{ count: string }[]>('id as count');
      return Number(row?.count ?? 0);
    },

    async get(scope: Scope, id: string, conn: Conn = db): Promise<WebhookSubscription | undefined> {
      const row: SubscriptionViewRow | undefined = await scoped(conn, scope).where('webhook_subscriptions.id', id).first(VIEW_COLUMNS);
      return row ? toSubscription(row) : undefined;
    },

    async list(scope: Scope, f: SubscriptionListFilter, page: { limit: number; offset: number }): Promise<{ items: WebhookSubscription[]; total: number }> {
      const q = scoped(db, scope);
      if (f.communityId) q.where('webhook_subscriptions.community_id', f.communityId);
      if (f.distributorId) q.where('webhook_subscriptions.distributor_id', f.distributorId);
      if (f.active !== undefined) q.where('webhook_subscriptions.active', f.active);
      if (f.event) q.whereRaw('? = ANY(webhook_subscriptions.events)', [f.event]);
      const [rows, count]: [SubscriptionViewRow[], Array<{ count: string }>] = await Promise.all([
        q.clone().select(VIEW_COLUMNS).orderBy([{ column: 'webhook_subscriptions.created_at' }, { column: 'webhook_subscriptions.id' }]).limit(page.limit).offset(page.offset),
        q.clone().count<{ count: string }[]>('webhook_subscriptions.id as count'),
      ]);
      return { items: rows.map(toSubscription), total: Number(count[0]?.count ?? 0) };
    },

    async update(scope: Scope, id: string, input: UpdateWebhookSubscriptionInput, conn: Conn = db): Promise<WebhookSubscription | undefined> {
      const changes: Record<string, unknown> = { updated_at: conn.fn.now() };
      if (input.url !== undefined) changes.url = input.url;
      if (input.events !== undefined) changes.events = input.events;
      if (input.description !== undefined) changes.description = input.description;
      if (input.active !== undefined) changes.active = input.active;
      if (input.secret !== undefined) changes.secret_encrypted = encryptSecret(input.secret, encryptionKey, webhookSecretContext(id));
      const [row]: SubscriptionViewRow[] = await scoped(conn, scope).where('webhook_subscriptions.id', id).update(changes).returning(VIEW_COLUMNS);
      return row ? toSubscription(row) : undefined;
    },

    /** Deletes the subscription and, by cascade, its delivery log; pending deliveries become no-ops. */
    async delete(scope: Scope, id: string, conn: Conn = db): Promise<WebhookSubscription | undefined> {
      const [row]: SubscriptionViewRow[] = await scoped(conn, scope).where('webhook_subscriptions.id', id).delete().returning(VIEW_COLUMNS);
      return row ? toSubscription(row) : undefined;
    },
  };
}

export type WebhookSubscriptionsRepository = ReturnType<typeof createWebhookSubscriptionsRepository>;

import type { Knex } from 'knex';

/**
 * The notification outbox. Whoever raises an event (the alert engine, a breaker transition)
 * writes one `notifications` row per matching subscription in the SAME transaction as the event
 * itself, so a crash between "alert opened" and "delivery queued" loses nothing: the row is
 * relayed later (relay-notifications) and the delivery job id is the row id, so it is queued once.
 */
export const NOTIFICATION_EVENTS = ['alert.opened', 'alert.acknowledged', 'alert.resolved', 'system.degraded', 'system.recovered'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Who the event concerns: one community (and its distributor), or the whole system. */
export type NotificationAudience = { kind: 'community'; communityId: string; distributorId: string | null } | { kind: 'all' };

export interface OutboxEvent {
  event: NotificationEvent;
  /** Names the event uniquely, e.g. "alert.opened:<alert id>"; one notification per subscription and key. */
  eventKey: string;
  alertId?: string;
  audience: NotificationAudience;
  /** The `data` of the webhook body. */
  data: Record<string, unknown>;
  occurredAt: Date;
}

/**
 * Inserts one pending notification per active subscription that listens to the event and may see
 * its audience: a community subscription sees its community, a distributor subscription its
 * communities, a global one (neither set) everything. Returns the ids of rows inserted now.
 */
export async function addNotifications(trx: Knex | Knex.Transaction, e: OutboxEvent): Promise<string[]> {
  const subs = trx('webhook_subscriptions').where({ active: true }).whereRaw('? = ANY(events)', [e.event]);
  if (e.audience.kind === 'community') {
    const { communityId, distributorId } = e.audience;
    subs.where((w) => {
      w.where((g) => g.whereNull('community_id').whereNull('distributor_id')).orWhere('community_id', communityId);
      if (distributorId) w.orWhere('distributor_id', distributorId);
    });
  }
  // System events (degraded mode) carry no tenant data: every subscription that asks for them gets them.
  const ids = (await subs.pluck('id')) as string[];
  if (ids.length === 0) return [];
  const rows = (await trx('notifications')
    .insert(
      ids.map((subscriptionId) => ({
        subscription_id: subscriptionId,
        event: e.event,
        event_key: e.eventKey,
        alert_id: e.alertId ?? null,
        payload: { event: e.event, occurredAt: e.occurredAt.toISOString(), data: e.data },
      })),
    )
    .onConflict(['subscription_id', 'event_key'])
    .ignore()
    .returning('id')) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

/** Marks rows whose delivery job is now in the queue, so the relay leaves them alone. */
export async function markEnqueued(db: Knex, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db('notifications').whereIn('id', ids).whereNull('enqueued_at').update({ enqueued_at: db.fn.now() });
}

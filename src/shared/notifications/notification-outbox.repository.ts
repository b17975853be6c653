import type { Db } from '../db/knex';
import type { Conn } from '../db/transaction';
import type { OutboxEvent } from './notification-event';

/**
 * The notification outbox. Whoever raises an event (the alert engine, a breaker transition)
 * writes one `notifications` row per matching subscription in the SAME transaction as the event
 * itself, so a crash between "alert opened" and "delivery queued" loses nothing: the row is
 * relayed later (relay-notifications) and the delivery job id is the row id, so it is queued once.
 */
export function createNotificationOutboxRepository(db: Db) {
  return {
    /**
     * Inserts one pending notification per active subscription that listens to the event and may see
     * its audience: a community subscription sees its community, a distributor subscription its
     * communities, a global one (neither set) everything. Returns the ids of rows inserted now.
     */
    async addNotifications(conn: Conn, e: OutboxEvent): Promise<string[]> {
      const subs = conn('webhook_subscriptions').where({ active: true }).whereRaw('? = ANY(events)', [e.event]);
      if (e.audience.kind === 'community') {
        const { communityId, distributorId } = e.audience;
        subs.where((w) => {
          w.where((g) => g.whereNull('community_id').whereNull('distributor_id')).orWhere('community_id', communityId);
          if (distributorId) w.orWhere('distributor_id', distributorId);
        });
      }
      // System events (degraded mode) carry no tenant data: every subscription that asks for them gets them.
      const ids: string[] = await subs.pluck('id');
      if (ids.length === 0) return [];
      const rows: Array<{ id: string }> = await conn('notifications')
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
        .returning('id');
      return rows.map((r) => r.id);
    },

    /** Marks rows whose delivery job is now in the queue, so the relay leaves them alone. */
    async markEnqueued(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await db('notifications').whereIn('id', ids).whereNull('enqueued_at').update({ enqueued_at: db.fn.now() });
    },
  };
}

export type NotificationOutboxRepository = ReturnType<typeof createNotificationOutboxRepository>;

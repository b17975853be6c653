import { randomUUID } from 'node:crypto';
import type { Db } from '../db/knex';
import type { WebhookSubscriptionRow } from '../db/tables';
import type { Conn } from '../db/transaction';
import type { NOTIFICATION_STATUSES } from './notification-status';
import { publicDeliveryError } from './delivery-outcome';

/**
 * The `notifications` table seen by delivery: each row is one webhook delivery (its id is the
 * X-Evara-Delivery id) and its own log (attempts, last status). Rows are written by the outbox
 * (notification-outbox.ts); this file reads them for sending and records what happened.
 */
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** The stored body (minus the id), exactly as the outbox wrote it. */
export interface NotificationPayload {
  event: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface DeliveryTask {
  id: string;
  event: string;
  status: NotificationStatus;
  attempts: number;
  payload: NotificationPayload;
  subscription: { id: string; url: string; active: boolean; secretEncrypted: string };
}

export interface DeliveryLogEntry {
  id: string;
  event: string;
  eventKey: string;
  alertId: string | null;
  status: NotificationStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  enqueuedAt: Date | null;
  createdAt: Date;
  payload: NotificationPayload;
}

/**
 * The bytes sent to the receiver, built only from stored fields: every attempt sends the same
 * body and so the same signature. jsonb returns its keys in one fixed order, so the stored
 * payload serialises identically on every load.
 */
export function deliveryBody(task: Pick<DeliveryTask, 'id' | 'payload'>): string {
  return JSON.stringify({ id: task.id, event: task.payload.event, occurredAt: task.payload.occurredAt, data: task.payload.data });
}

const ERROR_MAX = 500;

/** A `notifications` row as Postgres returns it. */
interface NotificationRow {
  id: string;
  subscription_id: string;
  /** A NotificationEvent, or "ping" (addPing). */
  event: string;
  event_key: string;
  alert_id: string | null;
  payload: NotificationPayload;
  status: NotificationStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  enqueued_at: Date | null;
  created_at: Date;
}

/** The columns loadForDelivery selects: the notification and its subscription. */
interface DeliveryRow extends Pick<NotificationRow, 'id' | 'event' | 'status' | 'attempts' | 'payload'>, Pick<WebhookSubscriptionRow, 'url' | 'active' | 'secret_encrypted'> {
  /** webhook_subscriptions.id */
  subscription_id: string;
}

function toLogEntry(r: NotificationRow): DeliveryLogEntry {
  return {
    id: r.id,
    event: r.event,
    eventKey: r.event_key,
    alertId: r.alert_id,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: publicDeliveryError(r.last_error),
    lastAttemptAt: r.last_attempt_at,
    deliveredAt: r.delivered_at,
    enqueuedAt: r.enqueued_at,
    createdAt: r.created_at,
    payload: r.payload,
  };
}

export function createNotificationsRepository(db: Db) {
  return {
    async loadForDelivery(id: string): Promise<DeliveryTask | undefined> {
      const r: DeliveryRow | undefined = await db('notifications')
        .join('webhook_subscriptions', 'webhook_subscriptions.id', 'notifications.subscription_id')
        .where('notifications.id', id)
        .first(
          'notifications.id',
          'notifications.event',
          'notifications.status',
          'notifications.attempts',
          'notifications.payload',
          'webhook_subscriptions.id as subscription_id',
          'webhook_subscriptions.url',
          'webhook_subscriptions.active',
          'webhook_subscriptions.secret_encrypted',
        );
      if (!r) return undefined;
      return {
        id: r.id,
        event: r.event,
        status: r.status,
        attempts: r.attempts,
        payload: r.payload,
        subscription: { id: r.subscription_id, url: r.url, active: r.active, secretEncrypted: r.secret_encrypted },
      };
    },

    /**
     * Logs one attempt and the row's new status. A row already delivered stays delivered: a run
     * that lost its job lock and failed late must not undo the run that succeeded.
     */
    async recordAttempt(id: string, a: { statusCode: number | null; error: string | null; status: NotificationStatus }): Promise<void> {
      await db('notifications')
        .where({ id })
        .update({
          attempts: db.raw('attempts + 1'),
          last_status_code: a.statusCode,
          last_error: a.error?.slice(0, ERROR_MAX) ?? null,
          last_attempt_at: db.fn.now(),
          status: db.raw("CASE WHEN status = 'delivered' THEN status ELSE ? END", [a.status]),
          delivered_at: a.status === 'delivered' ? db.raw('COALESCE(delivered_at, now())') : db.raw('delivered_at'),
        });
    },

    /** Gives up on a pending row without an attempt (its subscription was switched off). */
    async markFailed(id: string, reason: string): Promise<void> {
      await db('notifications').where({ id, status: 'pending' }).update({ status: 'failed', last_error: reason.slice(0, ERROR_MAX) });
    },

    /** Pending rows whose delivery job was never queued (a crash after the commit), oldest first. */
    async listUnqueued(opts: { olderThanMs: number; limit: number }): Promise<string[]> {
      const ids: Array<NotificationRow['id']> = await db('notifications')
        .whereNull('enqueued_at')
        .where('status', 'pending')
        .where('created_at', '<=', db.raw("now() - (? * interval '1 millisecond')", [opts.olderThanMs]))
        .orderBy('created_at')
        .limit(opts.limit)
        .pluck('id');
      return ids;
    },

    async listDeliveries(subscriptionId: string, f: { status?: NotificationStatus }, page: { limit: number; offset: number }): Promise<{ items: DeliveryLogEntry[]; total: number }> {
      const q = db('notifications').where('subscription_id', subscriptionId);
      if (f.status) q.where('status', f.status);
      const [rows, count]: [NotificationRow[], Array<{ count: string }>] = await Promise.all([
        q.clone().select('*').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(page.limit).offset(page.offset),
        q.clone().count<{ count: string }[]>('id as count'),
      ]);
      return { items: rows.map(toLogEntry), total: Number(count[0]?.count ?? 0) };
    },

    /**
     * A `ping` for one subscription (the API's test button), written to the outbox like any
     * notification so it travels the same path: queue, signature, retries, delivery log.
     */
    async addPing(subscriptionId: string, at: Date, conn: Conn = db): Promise<string> {
      const [row]: Array<Pick<NotificationRow, 'id'>> = await conn('notifications')
        .insert({
          subscription_id: subscriptionId,
          event: 'ping',
          event_key: `ping:${randomUUID()}`,
          payload: { event: 'ping', occurredAt: at.toISOString(), data: { subscriptionId, message: 'Test delivery from Evara: your endpoint is reachable and can verify the signature.' } },
        })
        .returning('id');
      return row!.id;
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;

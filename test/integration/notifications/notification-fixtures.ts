import { randomUUID } from 'node:crypto';
import type { Core } from '../../../src/shared/core';
import type { NotificationEvent } from '../../../src/shared/notifications/notification-event';
import { createWebhookSubscriptionsRepository } from '../../../src/shared/notifications/webhook-subscriptions.repository';

/**
 * Test data for notification tests. Each test uses its own community, so the outbox never matches
 * another test's subscriptions (test files run in parallel on one database).
 */
export async function uniqueCommunity(core: Core, distributorId: string | null = null): Promise<{ id: string; distributorId: string | null }> {
  const created = await core.repos.communities.create({ slug: `notify-${randomUUID().slice(0, 12)}`, name: 'Notification tests', distributorId });
  if (created === 'slug_taken') throw new Error('community slug collision in a test');
  return created;
}

export async function subscribe(core: Core, opts: { url: string; events: NotificationEvent[]; communityId: string | null; active?: boolean }) {
  const repo = createWebhookSubscriptionsRepository(core.db, core.config.encryptionKey);
  return repo.create({ communityId: opts.communityId, distributorId: null }, { url: opts.url, events: opts.events, active: opts.active ?? true });
}

/** A fake alert written to the outbox as the alert engine would; returns this subscription's row id. */
export async function addAlertNotification(core: Core, communityId: string, subscriptionId: string): Promise<{ id: string; data: Record<string, unknown> }> {
  const alertId = randomUUID();
  const data = { alert_id: alertId, node_id: randomUUID(), title: 'Tank low', severity: 'warning', value: 12.5, threshold: 20, triggered_at: new Date().toISOString() };
  const eventKey = `alert.opened:${alertId}`;
  await core.repos.outbox.addNotifications(core.db, { event: 'alert.opened', eventKey, audience: { kind: 'community', communityId, distributorId: null }, data, occurredAt: new Date() });
  const row = (await core.db('notifications').where({ subscription_id: subscriptionId, event_key: eventKey }).first('id')) as { id: string } | undefined;
  if (!row) throw new Error('the outbox wrote no notification for the subscription');
  return { id: row.id, data };
}

export interface NotificationRow {
  id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  enqueued_at: Date | null;
}

export async function notificationRow(core: Core, id: string): Promise<NotificationRow> {
  return (await core.db('notifications').where({ id }).first()) as NotificationRow;
}

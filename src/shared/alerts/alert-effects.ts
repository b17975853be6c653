import type { Knex } from 'knex';
import type { Logger } from '../logger';
import type { Producers } from '../queues/producers';
import type { LiveAudience, LiveEventName, LiveEventPublisher } from '../events/live-events';
import { addNotifications, markEnqueued } from '../notifications/notification-outbox';
import type { Alert } from './alert';

/** What a node's alerts need to know about where the node lives (for scoping and messages). */
export interface AlertNodeContext {
  nodeId: string;
  nodeKey: string;
  label: string;
  communityId: string;
  distributorId: string | null;
}

export type AlertChange = 'opened' | 'acknowledged' | 'resolved';

const LIVE_EVENT: Partial<Record<AlertChange, LiveEventName>> = { opened: 'ALERT_OPENED', resolved: 'ALERT_RESOLVED' };

/** The alert as webhooks and WebSocket clients see it. */
export function alertPayload(alert: Alert, node: AlertNodeContext): Record<string, unknown> {
  return {
    alert_id: alert.id,
    node_id: alert.nodeId,
    node_key: node.nodeKey,
    node_label: node.label,
    community_id: alert.communityId,
    kind: alert.kind,
    severity: alert.severity,
    status: alert.status,
    title: alert.title,
    message: alert.message,
    metric: alert.metric,
    value: alert.value,
    threshold: alert.threshold,
    triggered_at: alert.triggeredAt.toISOString(),
    catch_up: alert.catchUp,
    acknowledged_by: alert.acknowledgedBy,
    resolved_at: alert.resolvedAt?.toISOString() ?? null,
    resolved_by: alert.resolvedBy,
    resolve_comment: alert.resolveComment,
  };
}

/**
 * Side effects of alert changes made in one transaction. Notifications are written INSIDE the
 * transaction (the outbox); queueing their deliveries and publishing live events happen after
 * commit, and a failure there loses nothing (the relay re-queues unqueued rows).
 */
export class AlertEffects {
  private readonly notificationIds: string[] = [];
  private readonly live: Array<{ event: LiveEventName; audience: LiveAudience; data: Record<string, unknown> }> = [];
  readonly changes: Array<{ change: AlertChange; alert: Alert; notified: boolean }> = [];

  async record(trx: Knex | Knex.Transaction, change: AlertChange, alert: Alert, node: AlertNodeContext, opts: { notify: boolean; at: Date }): Promise<void> {
    const audience = { kind: 'community' as const, communityId: node.communityId, distributorId: node.distributorId };
    if (change === 'opened' && opts.notify && !alert.notified) {
      await trx('alerts').where({ id: alert.id }).update({ notified: true });
      alert = { ...alert, notified: true };
    }
    const data = alertPayload(alert, node);
    if (opts.notify) {
      const ids = await addNotifications(trx, { event: `alert.${change}`, eventKey: `alert.${change}:${alert.id}`, alertId: alert.id, audience, data, occurredAt: opts.at });
      this.notificationIds.push(...ids);
    }
    const event = LIVE_EVENT[change];
    if (event) this.live.push({ event, audience, data });
    this.changes.push({ change, alert, notified: opts.notify });
  }

  async flush(deps: { db: Knex; producers: Producers; events: LiveEventPublisher; log: Logger }): Promise<void> {
    if (this.notificationIds.length > 0) {
      try {
        await deps.producers.enqueueDeliveries(this.notificationIds);
        await markEnqueued(deps.db, this.notificationIds);
      } catch (err) {
        deps.log.warn({ err, notifications: this.notificationIds.length }, 'notification deliveries not queued yet: the outbox relay will queue them');
      }
    }
    for (const e of this.live) await deps.events.publish(e.event, e.audience, e.data);
  }
}

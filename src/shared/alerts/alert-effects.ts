import type { Logger } from '../logger';
import type { Tx } from '../db/transaction';
import type { LiveAudience, LiveEventName, LiveEventPublisher } from '../events/live-events';
import type { NotificationOutboxRepository } from '../notifications/notification-outbox.repository';
import { handOffNotifications, type HandOffDeps } from '../notifications/hand-off-notifications';
import { refreshNodeStatus, type NodeStatusChange } from '../nodes/node-status';
import type { NodeStatusRepository } from '../nodes/node-status.repository';
import type { Alert } from './alert';
import type { AlertsRepository } from './alerts.repository';

/** What a node's alerts need to know about where the node lives (for scoping and messages). */
export interface AlertNodeContext {
  nodeId: string;
  nodeKey: string;
  label: string;
  communityId: string;
  distributorId: string | null;
}

export type AlertChange = 'opened' | 'acknowledged' | 'resolved';

const LIVE_EVENT: Partial<Record<AlertChange, LiveEventName>> = { opened: 'ALERT_OPENED', acknowledged: 'ALERT_ACKNOWLEDGED', resolved: 'ALERT_RESOLVED' };

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

/** The repositories an alert change writes through, inside the caller's transaction. */
export interface AlertEffectsRepos {
  alerts: Pick<AlertsRepository, 'markNotified'>;
  outbox: Pick<NotificationOutboxRepository, 'addNotifications'>;
  nodeStatus: NodeStatusRepository;
}

/** What runs after commit: the outbox hand-off and live events. */
export interface AlertEffectsFlushDeps extends HandOffDeps {
  events: LiveEventPublisher;
  log: Logger;
}

const audienceOf = (node: AlertNodeContext): LiveAudience => ({ kind: 'community', communityId: node.communityId, distributorId: node.distributorId });

/**
 * Side effects of alert changes. Notifications and the node's status are written INSIDE the
 * alert's transaction (the outbox); queueing deliveries and publishing live events happen after
 * commit, and a failure there loses nothing (the relay re-queues unqueued rows).
 */
export class AlertEffects {
  private readonly notificationIds: string[] = [];
  private readonly live: Array<{ event: LiveEventName; audience: LiveAudience; data: Record<string, unknown> }> = [];
  readonly changes: Array<{ change: AlertChange; alert: Alert; notified: boolean }> = [];

  constructor(private readonly repos: AlertEffectsRepos) {}

  async record(trx: Tx, change: AlertChange, alert: Alert, node: AlertNodeContext, opts: { notify: boolean; at: Date }): Promise<void> {
    const audience = audienceOf(node);
    if (change === 'opened' && opts.notify && !alert.notified) {
      await this.repos.alerts.markNotified(trx, alert.id);
      alert = { ...alert, notified: true };
    }
    const data = alertPayload(alert, node);
    if (opts.notify) {
      const ids = await this.repos.outbox.addNotifications(trx, { event: `alert.${change}`, eventKey: `alert.${change}:${alert.id}`, alertId: alert.id, audience, data, occurredAt: opts.at });
      this.notificationIds.push(...ids);
    }
    const event = LIVE_EVENT[change];
    if (event) this.live.push({ event, audience, data });
    this.changes.push({ change, alert, notified: opts.notify });
  }

  /**
   * Brings the node's status in line with its alerts (node-status.ts decides) before the
   * transaction commits; a change becomes a STATUS_UPDATE after commit.
   */
  async refreshNodeStatus(trx: Tx, node: AlertNodeContext, now: Date): Promise<NodeStatusChange | undefined> {
    const change = await refreshNodeStatus(trx, this.repos.nodeStatus, node.nodeId, now);
    if (change?.changed) this.live.push({ event: 'STATUS_UPDATE', audience: audienceOf(node), data: { node_id: node.nodeId, status: change.status } });
    return change;
  }

  /** After commit: hand the notifications to the queue and publish live events. */
  async flush(deps: AlertEffectsFlushDeps): Promise<void> {
    try {
      await handOffNotifications(deps, this.notificationIds);
    } catch (err) {
      deps.log.warn({ err, notifications: this.notificationIds.length }, 'notification deliveries not queued yet: the outbox relay will queue them');
    }
    for (const e of this.live) await deps.events.publish(e.event, e.audience, e.data);
  }
}

/** The events a webhook subscription can listen to. */
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

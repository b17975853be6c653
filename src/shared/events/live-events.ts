import type { Redis } from 'ioredis';
import type { Logger } from '../logger';

/**
 * Live events for WebSocket clients. Any process publishes on one Redis pub/sub channel; every API
 * process subscribes and delivers to its own sockets, filtered by the audience. Names are the ones
 * the existing dashboard listens for (BATCH_STATUS_UPDATE is made by the API from STATUS_UPDATEs).
 */
export const LIVE_EVENT_NAMES = [
  'NODE_PROVISIONED',
  'STATUS_UPDATE',
  'TELEMETRY_UPDATE',
  'ALERT_OPENED',
  'ALERT_ACKNOWLEDGED',
  'ALERT_RESOLVED',
  'SYSTEM_DEGRADED',
  'SYSTEM_RECOVERED',
] as const;
export type LiveEventName = (typeof LIVE_EVENT_NAMES)[number];

/** Who may see an event: the tenants of one community, or everyone (system events). */
export type LiveAudience = { kind: 'community'; communityId: string; distributorId: string | null } | { kind: 'all' };

export interface LiveEvent {
  event: LiveEventName;
  audience: LiveAudience;
  /** Body sent to clients, in the dashboard's shape (snake_case ids). */
  data: Record<string, unknown>;
  /** ISO time the event was published. */
  at: string;
}

export function liveEventsChannel(prefix: string): string {
  return `${prefix}:live-events`;
}

export interface LiveEventPublisher {
  /** Best effort: a live event is a hint to refresh, never the record, so failures are logged, not thrown. */
  publish(event: LiveEventName, audience: LiveAudience, data: Record<string, unknown>): Promise<void>;
}

export function createLiveEventPublisher(redis: Redis, prefix: string, log: Logger): LiveEventPublisher {
  const channel = liveEventsChannel(prefix);
  return {
    async publish(event, audience, data) {
      const message: LiveEvent = { event, audience, data, at: new Date().toISOString() };
      try {
        await redis.publish(channel, JSON.stringify(message));
      } catch (err) {
        log.warn({ err, event }, 'live event not published');
      }
    },
  };
}

/** Parses a message from the channel; anything malformed is dropped by the caller. */
export function parseLiveEvent(raw: string): LiveEvent | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LiveEvent>;
    if (typeof v.event !== 'string' || !(LIVE_EVENT_NAMES as readonly string[]).includes(v.event)) return undefined;
    if (!v.audience || typeof v.data !== 'object' || v.data === null) return undefined;
    return v as LiveEvent;
  } catch {
    return undefined;
  }
}

import type { Config } from '../../shared/config';
import type { Logger } from '../../shared/logger';
import { createRedis } from '../../shared/redis';
import { liveEventsChannel, parseLiveEvent, type LiveEvent } from '../../shared/events/live-events';
import { apiKeyRevocationsChannel } from '../../shared/auth/api-key-cache';
import { userChangesChannel } from '../../shared/auth/user-changes';

/**
 * A dependency's transition, as published on `<prefix>:events`: the DB breaker's (db-breaker.ts,
 * opened / closed) and ThingSpeak's (outage-monitor.ts, outage / up), told to clients as
 * SYSTEM_DEGRADED or SYSTEM_RECOVERED with {dependency, at, reason}.
 */
export function systemTransitionEvent(raw: string): LiveEvent | undefined {
  let message: { type?: unknown; transition?: { to?: unknown; at?: unknown; reason?: unknown } };
  try {
    message = JSON.parse(raw) as typeof message;
  } catch {
    return undefined;
  }
  const t = message.transition;
  const kind = message.type === 'breaker' ? { dependency: 'database', degraded: 'open', recovered: 'closed' } : message.type === 'thingspeak' ? { dependency: 'thingspeak', degraded: 'outage', recovered: 'up' } : undefined;
  if (!kind || !t || (t.to !== kind.degraded && t.to !== kind.recovered) || typeof t.at !== 'number') return undefined;
  return {
    event: t.to === kind.degraded ? 'SYSTEM_DEGRADED' : 'SYSTEM_RECOVERED',
    audience: { kind: 'all' },
    data: { dependency: kind.dependency, at: new Date(t.at).toISOString(), reason: typeof t.reason === 'string' ? t.reason : null },
    at: new Date().toISOString(),
  };
}

/**
 * The process's one subscriber connection to the live-events and system-events channels (and the
 * API-key revocations, which empty the process's key cache, and the user changes, which close a
 * user's sockets). It is a
 * connection of its own (a subscribed connection can run no other command) that reconnects and
 * resubscribes by itself; `subscribed` resolves once Redis confirmed the subscription.
 * Messages published while the connection was down are gone for good (pub/sub keeps nothing), so
 * `onConnected` runs on every (re)connection: the caller re-reads what a lost message could
 * have changed (the revocations: the key cache is emptied and open sockets' keys rechecked).
 */
export function createLiveEventsSubscriber(
  config: Config,
  log: Logger,
  onEvent: (event: LiveEvent) => void,
  onApiKeyRevoked: (keyId: string) => void = () => undefined,
  onUserChanged: (userId: string) => void = () => undefined,
  onConnected: () => void = () => undefined,
) {
  const redis = createRedis(config, log, 'worker');
  redis.on('ready', onConnected);
  const liveChannel = liveEventsChannel(config.queues.prefix);
  const systemChannel = `${config.queues.prefix}:events`;
  const revocations = apiKeyRevocationsChannel(config.queues.prefix);
  const userChanges = userChangesChannel(config.queues.prefix);
  redis.on('message', (channel: string, raw: string) => {
    if (channel === revocations) return onApiKeyRevoked(raw);
    if (channel === userChanges) return onUserChanged(raw);
    const event = channel === liveChannel ? parseLiveEvent(raw) : channel === systemChannel ? systemTransitionEvent(raw) : undefined;
    if (event) onEvent(event);
    else if (channel === liveChannel) log.warn({ channel }, 'malformed live event dropped');
  });
  const subscribed = redis.subscribe(liveChannel, systemChannel, revocations, userChanges).then(() => undefined);
  subscribed.catch(() => undefined); // a caller that never awaits it must not see an unhandled rejection
  return {
    subscribed,
    async close(): Promise<void> {
      // While Redis is away an UNSUBSCRIBE would wait in the offline queue for ever; closing the
      // connection ends the subscription just as well.
      if (redis.status === 'ready') await redis.unsubscribe().catch(() => undefined);
      redis.disconnect();
    },
  };
}

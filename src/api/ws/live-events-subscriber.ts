import type { Config } from '../../shared/config';
import type { Logger } from '../../shared/logger';
import { createRedis } from '../../shared/redis';
import { liveEventsChannel, parseLiveEvent, type LiveEvent } from '../../shared/events/live-events';
import type { BreakerTransition } from '../../shared/breaker/db-breaker';
import { apiKeyRevocationsChannel } from '../../shared/auth/api-key-cache';
import { userChangesChannel } from '../../shared/auth/user-changes';

/**
 * A DB breaker transition, as db-breaker.ts publishes it on `<prefix>:events`, told to clients as
 * SYSTEM_DEGRADED (opened) or SYSTEM_RECOVERED (closed) with {dependency, at, reason}.
 */
export function breakerTransitionEvent(raw: string): LiveEvent | undefined {
  let message: { type?: unknown; transition?: Partial<BreakerTransition> };
  try {
    message = JSON.parse(raw) as typeof message;
  } catch {
    return undefined;
  }
  const t = message.transition;
  if (message.type !== 'breaker' || !t || (t.to !== 'open' && t.to !== 'closed') || typeof t.at !== 'number') return undefined;
  return {
    event: t.to === 'open' ? 'SYSTEM_DEGRADED' : 'SYSTEM_RECOVERED',
    audience: { kind: 'all' },
    data: { dependency: 'database', at: new Date(t.at).toISOString(), reason: t.reason ?? null },
    at: new Date().toISOString(),
  };
}

/**
 * The process's one subscriber connection to the live-events and system-events channels (and the
 * API-key revocations, which empty the process's key cache, and the user changes, which close a
 * user's sockets). It is a
 * connection of its own (a subscribed connection can run no other command) that reconnects and
 * resubscribes by itself; `subscribed` resolves once Redis confirmed the subscription.
 */
export function createLiveEventsSubscriber(
  config: Config,
  log: Logger,
  onEvent: (event: LiveEvent) => void,
  onApiKeyRevoked: (keyId: string) => void = () => undefined,
  onUserChanged: (userId: string) => void = () => undefined,
) {
  const redis = createRedis(config, log, 'worker');
  const liveChannel = liveEventsChannel(config.queues.prefix);
  const systemChannel = `${config.queues.prefix}:events`;
  const revocations = apiKeyRevocationsChannel(config.queues.prefix);
  const userChanges = userChangesChannel(config.queues.prefix);
  redis.on('message', (channel: string, raw: string) => {
    if (channel === revocations) return onApiKeyRevoked(raw);
    if (channel === userChanges) return onUserChanged(raw);
    const event = channel === liveChannel ? parseLiveEvent(raw) : channel === systemChannel ? breakerTransitionEvent(raw) : undefined;
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

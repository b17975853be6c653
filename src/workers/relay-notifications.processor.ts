import { relayNotifications, type RelayDeps } from '../shared/notifications/relay-notifications';
import type { Processor } from './processor';

/** The outbox relay, every NOTIFY_RELAY_MS (relay-notifications.ts). */
export function createRelayNotificationsProcessor(deps: RelayDeps): Processor<'relay-notifications'> {
  return async (_data, { log }) => {
    const result = await relayNotifications(deps);
    if ('relayed' in result && result.relayed > 0) log.info({ relayed: result.relayed }, 'outbox relay queued notifications that were never queued');
    return result;
  };
}

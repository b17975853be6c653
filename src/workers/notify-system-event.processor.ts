import { notifySystemEvent, type SystemEventDeps } from '../shared/notifications/notify-system-event';
import type { Processor } from './processor';

/**
 * A dependency's transition, notified. A database `system.degraded` usually arrives while it is down:
 * the contract parks the job until it is back (run-worker.ts), then it is written and delivered.
 */
export function createNotifySystemEventProcessor(deps: SystemEventDeps): Processor<'notify-system-event'> {
  return async (data, { log }) => {
    const result = await notifySystemEvent(deps, data);
    log.info({ event: data.event, dependency: data.dependency, at: new Date(data.at).toISOString(), notifications: result.notifications }, 'system event notified');
    return result;
  };
}

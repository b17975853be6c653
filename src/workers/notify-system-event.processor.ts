import type { Core } from '../shared/core';
import { addNotifications, markEnqueued } from '../shared/notifications/notification-outbox';
import type { Processor } from './handlers';
import { parkWhileDatabaseDown } from './park-while-database-down';

/**
 * Fans a breaker transition (degraded mode entered or left) out to every subscription of system
 * events. The event key is the event and the transition time, so a job run twice (or queued by
 * two workers) writes each notification once. `system.degraded` usually arrives while the
 * database is down: the job is then parked and written, then delivered, once the database is back.
 */
export function createNotifySystemEventProcessor(core: Core): Processor<'notify-system-event'> {
  return (data, ctx) =>
    parkWhileDatabaseDown(core, ctx, async () => {
      const occurredAt = new Date(data.at);
      const ids = await addNotifications(core.db, {
        event: data.event,
        eventKey: `${data.event}:${data.at}`,
        audience: { kind: 'all' },
        data: { at: occurredAt.toISOString(), reason: data.reason },
        occurredAt,
      });
      // A crash after the insert leaves the rows to the outbox relay; a rerun inserts nothing new.
      await core.producers.enqueueDeliveries(ids);
      await markEnqueued(core.db, ids);
      ctx.log.info({ event: data.event, at: occurredAt.toISOString(), notifications: ids.length }, 'system event notified');
      return { notifications: ids.length };
    });
}

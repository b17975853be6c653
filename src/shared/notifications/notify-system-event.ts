import type { Db } from '../db/knex';
import type { NotificationOutboxRepository } from './notification-outbox.repository';
import { handOffNotifications, type HandOffDeps } from './hand-off-notifications';

export interface SystemEventDeps extends HandOffDeps {
  db: Db;
  outbox: NotificationOutboxRepository;
}

/**
 * Fans a breaker transition (degraded mode entered or left) out to every subscription of system
 * events. The event key is the event and the transition time, so a job run twice (or queued by
 * two workers) writes each notification once; a crash after the insert leaves the rows to the relay.
 */
export async function notifySystemEvent(deps: SystemEventDeps, e: { event: 'system.degraded' | 'system.recovered'; at: number; reason: string }): Promise<{ notifications: number }> {
  const occurredAt = new Date(e.at);
  const ids = await deps.outbox.addNotifications(deps.db, {
    event: e.event,
    eventKey: `${e.event}:${e.at}`,
    audience: { kind: 'all' },
    data: { at: occurredAt.toISOString(), reason: e.reason },
    occurredAt,
  });
  await handOffNotifications(deps, ids);
  return { notifications: ids.length };
}

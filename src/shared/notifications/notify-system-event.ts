import type { Db } from '../db/knex';
import type { SystemDependency } from '../queues/jobs';
import type { NotificationOutboxRepository } from './notification-outbox.repository';
import { handOffNotifications, type HandOffDeps } from './hand-off-notifications';

export interface SystemEventDeps extends HandOffDeps {
  db: Db;
  outbox: NotificationOutboxRepository;
}

/** The notification's key: the event and the transition time (plus the dependency, unless it is the database, whose keys predate the others). */
export function systemEventKey(e: { event: string; at: number; dependency: SystemDependency }): string {
  return e.dependency === 'database' ? `${e.event}:${e.at}` : `${e.event}:${e.dependency}:${e.at}`;
}

/**
 * Fans a dependency's transition (the DB breaker opened or closed, a ThingSpeak outage began or
 * ended) out to every subscription of system events. The event key names the transition, so a job
 * run twice (or queued by two workers) writes each notification once; a crash after the insert
 * leaves the rows to the relay.
 */
export async function notifySystemEvent(
  deps: SystemEventDeps,
  e: { event: 'system.degraded' | 'system.recovered'; at: number; reason: string; dependency: SystemDependency },
): Promise<{ notifications: number }> {
  const occurredAt = new Date(e.at);
  const ids = await deps.outbox.addNotifications(deps.db, {
    event: e.event,
    eventKey: systemEventKey(e),
    audience: { kind: 'all' },
    data: { dependency: e.dependency, at: occurredAt.toISOString(), reason: e.reason },
    occurredAt,
  });
  await handOffNotifications(deps, ids);
  return { notifications: ids.length };
}

import type { Producers } from '../queues/producers';
import type { NotificationOutboxRepository } from './notification-outbox.repository';

export interface HandOffDeps {
  producers: Pick<Producers, 'enqueueDeliveries'>;
  outbox: Pick<NotificationOutboxRepository, 'markEnqueued'>;
}

/**
 * THE outbox hand-off: queue a delivery job per committed notification row, then mark the rows
 * queued. Queue first: a crash or a Redis failure in between leaves rows unmarked, and the relay
 * queues them again, which is harmless (the job id is the row id).
 */
export async function handOffNotifications(deps: HandOffDeps, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await deps.producers.enqueueDeliveries(ids);
  await deps.outbox.markEnqueued(ids);
}

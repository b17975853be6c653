import type { DbBreaker } from '../breaker/db-breaker';
import type { NotificationsRepository } from './notifications.repository';
import { handOffNotifications, type HandOffDeps } from './hand-off-notifications';

const BATCH = 500;
/** Batches per run: a large backlog is worked off over a few runs instead of one long job. */
const MAX_BATCHES = 20;

export interface RelayDeps extends HandOffDeps {
  notifications: Pick<NotificationsRepository, 'listUnqueued'>;
  breaker: Pick<DbBreaker, 'snapshot'>;
  /** Rows younger than this are left to their writer, which is usually queueing them right now. */
  graceMs: number;
}

/**
 * The outbox relay: queues deliveries for rows committed with their event but never queued,
 * because the writer crashed or Redis failed between the commit and the enqueue. Queueing one twice
 * would be harmless anyway (the job id is the row id). With the database down there is nothing to
 * read; the next run after recovery does the work.
 */
export async function relayNotifications(deps: RelayDeps): Promise<{ relayed: number } | { skipped: string }> {
  if ((await deps.breaker.snapshot()).state === 'open') return { skipped: 'database circuit open' };
  let relayed = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const ids = await deps.notifications.listUnqueued({ olderThanMs: deps.graceMs, limit: BATCH });
    if (ids.length === 0) break;
    await handOffNotifications(deps, ids);
    relayed += ids.length;
    if (ids.length < BATCH) break;
  }
  return { relayed };
}

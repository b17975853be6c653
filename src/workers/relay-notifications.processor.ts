import type { Core } from '../shared/core';
import { markEnqueued } from '../shared/notifications/notification-outbox';
import { createNotificationsRepository } from '../shared/notifications/notifications.repository';
import type { Processor } from './handlers';

const BATCH = 500;
/** Batches per run: a large backlog is worked off over a few runs instead of one long job. */
const MAX_BATCHES = 20;

/**
 * The outbox relay (every NOTIFY_RELAY_MS): queues deliveries for rows committed with their event
 * but never queued, because the writer crashed or Redis failed between the commit and the enqueue.
 * Rows younger than one relay period (at most 5 s) are left to their writer, which is usually
 * queueing them right now; queueing one twice would be harmless anyway (the job id is the row id).
 */
export function createRelayNotificationsProcessor(core: Core): Processor<'relay-notifications'> {
  const notifications = createNotificationsRepository(core.db);
  const graceMs = Math.min(5_000, core.config.notifications.relayMs);

  return async (_data, { log }) => {
    // With the database down there is nothing to read; the next run after recovery does the work.
    if ((await core.breaker.snapshot()).state === 'open') return { skipped: 'database circuit open' };
    let relayed = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const ids = await notifications.listUnqueued({ olderThanMs: graceMs, limit: BATCH });
      if (ids.length === 0) break;
      await core.producers.enqueueDeliveries(ids);
      await markEnqueued(core.db, ids);
      relayed += ids.length;
      if (ids.length < BATCH) break;
    }
    if (relayed > 0) log.info({ relayed }, 'outbox relay queued notifications that were never queued');
    return { relayed };
  };
}

import type { DbBreaker } from '../breaker/db-breaker';
import type { Logger } from '../logger';
import type { NodesRepository } from '../nodes/nodes.repository';
import type { Producers } from '../queues/producers';

export interface FanOutDeps {
  breaker: Pick<DbBreaker, 'snapshot'>;
  nodes: Pick<NodesRepository, 'listPollableChannels'>;
  producers: Pick<Producers, 'enqueuePolls'>;
  intervalMs: number;
}

/**
 * The poll tick: one poll job per active channel. Delays spread the polls evenly over the interval
 * so 10k channels do not hit ThingSpeak and Postgres in the same second; deduplication keeps at
 * most one pending poll per channel however many ticks pile up. While the database is unavailable
 * the tick does not fan out: polls would only pile up.
 */
export async function fanOutPolls(deps: FanOutDeps, log: Logger): Promise<{ channels: number; skipped?: string }> {
  if ((await deps.breaker.snapshot()).state === 'open') {
    log.info('circuit open: poll tick skipped');
    return { channels: 0, skipped: 'circuit-open' };
  }
  const channels = await deps.nodes.listPollableChannels();
  const spreadMs = Math.floor(deps.intervalMs * 0.9);
  const targets = channels.map((c, i) => ({ nodeChannelId: c.nodeChannelId, delayMs: channels.length > 1 ? Math.floor((i * spreadMs) / channels.length) : 0 }));
  const enqueued = await deps.producers.enqueuePolls(targets, 'tick');
  log.info({ channels: channels.length, enqueued }, 'poll tick fanned out');
  return { channels: channels.length };
}

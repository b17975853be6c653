import type { Core } from '../shared/core';
import type { Processor } from './handlers';

/**
 * Fans out one poll job per active channel. Delays spread the polls evenly over the interval so
 * 10k channels do not hit ThingSpeak and Postgres in the same second; deduplication keeps at most
 * one pending poll per channel however many ticks pile up.
 */
export function createPollTickProcessor(core: Core): Processor<'poll-tick'> {
  return async (_data, { log }) => {
    // While the database is unavailable the tick does not fan out: polls would only pile up.
    if ((await core.breaker.snapshot()).state === 'open') {
      log.info('circuit open: poll tick skipped');
      return { channels: 0, skipped: 'circuit-open' };
    }
    const channels = await core.repos.nodes.listPollableChannels();
    const spreadMs = Math.floor(core.config.poll.intervalMs * 0.9);
    const targets = channels.map((c, i) => ({ nodeChannelId: c.nodeChannelId, delayMs: channels.length > 1 ? Math.floor((i * spreadMs) / channels.length) : 0 }));
    const enqueued = await core.producers.enqueuePolls(targets, 'tick');
    log.info({ channels: channels.length, enqueued }, 'poll tick fanned out');
    return { channels: channels.length };
  };
}

import type { Core } from '../shared/core';
import { tryLock } from '../shared/locks/redis-lock';
import { pollChannel } from '../shared/polling/poll-channel';
import type { Processor } from './handlers';

// Longer than any sane poll (paging 8000-row windows), short enough that a crashed holder frees it.
const LOCK_TTL_MS = 10 * 60 * 1000;

export function createPollChannelProcessor(core: Core): Processor<'poll-channel'> {
  const deps = {
    repo: core.repos.poll,
    client: core.thingspeak,
    producers: core.producers,
    encryptionKey: core.config.encryptionKey,
    overlapMs: core.config.poll.overlapMs,
  };
  return async (data, { log }) => {
    // Deduplication already keeps one poll per channel; the lock also covers a job that BullMQ
    // re-ran after a lost lock while its first run was still going.
    const lock = await tryLock(core.redis, `${core.config.queues.prefix}:lock:poll:${data.nodeChannelId}`, LOCK_TTL_MS);
    if (!lock) {
      log.info({ nodeChannelId: data.nodeChannelId }, 'channel is being polled by another job: skipped');
      return { outcome: 'skipped', reason: 'busy' };
    }
    try {
      return await pollChannel(deps, data.nodeChannelId, log);
    } finally {
      await lock.release().catch((err: unknown) => log.warn({ err }, 'poll lock release failed'));
    }
  };
}

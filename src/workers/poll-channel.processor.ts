import { DelayedError } from 'bullmq';
import type { Core } from '../shared/core';
import { tryLock } from '../shared/locks/redis-lock';
import { pollChannel } from '../shared/polling/poll-channel';
import type { Processor } from './handlers';


export function createPollChannelProcessor(core: Core): Processor<'poll-channel'> {
  const deps = {
    repo: core.repos.poll,
    client: core.thingspeak,
    producers: core.producers,
    encryptionKey: core.config.encryptionKey,
    overlapMs: core.config.poll.overlapMs,
  };
  // Same lifetime as a job lock: a crashed holder frees the channel when its job is found stalled.
  const lockTtlMs = core.config.worker.lockMs;
  return async (data, { log, job, token }) => {
    // Deduplication already keeps one poll per channel; the lock also covers a job that BullMQ
    // re-ran after a lost lock while its first run was still going.
    const lock = await tryLock(core.redis, `${core.config.queues.prefix}:lock:poll:${data.nodeChannelId}`, lockTtlMs);
    if (!lock) {
      // Wait for the other run instead of dropping this poll; a delay does not use up an attempt.
      log.info({ nodeChannelId: data.nodeChannelId }, 'channel is being polled by another job: retrying later');
      await job.moveToDelayed(Date.now() + Math.ceil(lockTtlMs / 2), token);
      throw new DelayedError();
    }
    try {
      return await pollChannel(deps, data.nodeChannelId, log);
    } finally {
      await lock.release().catch((err: unknown) => log.warn({ err }, 'poll lock release failed'));
    }
  };
}

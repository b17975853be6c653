import { DelayedError } from 'bullmq';
import type { Core } from '../shared/core';
import { tryLock } from '../shared/locks/redis-lock';
import { pollChannel } from '../shared/polling/poll-channel';
import { isDatabaseUnavailable } from '../shared/db/db-errors';
import { thingspeakLastSuccessKey } from '../shared/health/health-keys';
import type { Processor } from './handlers';


export function createPollChannelProcessor(core: Core): Processor<'poll-channel'> {
  const deps = {
    repo: core.repos.poll,
    client: core.thingspeak,
    producers: core.producers,
    encryptionKey: core.config.encryptionKey,
    overlapMs: core.config.poll.overlapMs,
    events: core.events,
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
      const outcome = await pollChannel(deps, data.nodeChannelId, log);
      await core.breaker.recordSuccess();
      if (outcome.outcome === 'polled') await core.redis.set(thingspeakLastSuccessKey(core.config.queues.prefix), String(Date.now()));
      return outcome;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      // Only "the database cannot be reached" counts towards the breaker; the job is parked until
      // the next probe instead of burning a retry, so no poll is lost to an outage.
      const result = await core.breaker.recordFailure((err as { code?: string }).code ?? (err as Error).message);
      if (result.opened) log.warn({ failures: result.failures }, 'database unavailable: circuit opened, entering degraded mode');
      const snapshot = await core.breaker.snapshot();
      const waitMs = snapshot.nextProbeAt ? Math.max(snapshot.nextProbeAt - Date.now(), 0) : 0;
      log.warn({ err, failures: result.failures, circuit: result.state }, 'poll hit an unavailable database: parked');
      // Spread over the ramp window after the next probe: the backlog returns gradually.
      await job.moveToDelayed(Date.now() + waitMs + Math.floor(Math.random() * core.config.circuit.rampMs), token);
      throw new DelayedError();
    } finally {
      await lock.release().catch((err: unknown) => log.warn({ err }, 'poll lock release failed'));
    }
  };
}

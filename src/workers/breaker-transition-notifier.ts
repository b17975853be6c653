import type { Core } from '../shared/core';

/** Without a marker (first run, or Redis lost it), older transitions are history, not news. */
const NEWS_WITHOUT_MARKER_MS = 3_600_000;

// The marker only moves forward: a slow worker finishing late cannot make newer transitions look unsent.
const ADVANCE_MARKER = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0
`;

/**
 * Turns breaker transitions into `notify-system-event` jobs. Called from every worker's breaker
 * check, so it does not depend on a pub/sub message arriving: it compares the breaker's kept
 * transitions with a marker in Redis (the time of the newest one already queued) and queues each
 * newer one, oldest first. Workers that race queue the same deterministic job id, so each
 * transition is queued once; the marker is advanced only after the job is in the queue.
 */
export function createBreakerTransitionNotifier(core: Core) {
  const markerKey = `${core.breaker.keys.state}:notified-transition`;

  return {
    markerKey,
    /** Queues what is new; returns how many transitions that was. */
    async notifyNew(): Promise<number> {
      const [raw, transitions] = await Promise.all([core.redis.get(markerKey), core.breaker.transitions(20)]);
      const isNew = raw === null ? (at: number) => at >= Date.now() - NEWS_WITHOUT_MARKER_MS : (at: number) => at > Number(raw);
      const fresh = transitions.filter((t) => isNew(t.at)).reverse();
      for (const t of fresh) {
        await core.producers.enqueueSystemEvent({ event: t.to === 'open' ? 'system.degraded' : 'system.recovered', at: t.at, reason: t.reason });
        await core.redis.eval(ADVANCE_MARKER, 1, markerKey, t.at);
      }
      return fresh.length;
    },
  };
}

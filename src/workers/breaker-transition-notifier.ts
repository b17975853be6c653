import type { Core } from '../shared/core';
import type { SystemDependency } from '../shared/queues/jobs';
import type { ThingSpeakOutageMonitor } from '../shared/thingspeak/outage-monitor';

/** Without a marker (first run, or Redis lost it), older transitions are history, not news. */
const NEWS_WITHOUT_MARKER_MS = 3_600_000;

// The marker only moves forward: a slow worker finishing late cannot make newer transitions look unsent.
const ADVANCE_MARKER = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0
`;

interface KeptTransition {
  at: number;
  to: string;
  reason: string;
}

interface TransitionSource {
  dependency: SystemDependency;
  markerKey: string;
  /** Newest first, as kept in Redis. */
  transitions(limit: number): Promise<KeptTransition[]>;
  /** Whether a transition enters the degraded state (else it leaves it). */
  degrades(t: KeptTransition): boolean;
}

/**
 * Turns a dependency's kept transitions into `notify-system-event` jobs. Called from every worker's
 * watch, so it does not depend on a pub/sub message arriving: it compares the kept transitions
 * with a marker in Redis (the time of the newest one already queued) and queues each newer one,
 * oldest first. Workers that race queue the same deterministic job id, so each transition is
 * queued once; the marker is advanced only after the job is in the queue.
 */
function createTransitionNotifier(core: Pick<Core, 'redis' | 'producers'>, source: TransitionSource) {
  return {
    markerKey: source.markerKey,
    /** Queues what is new; returns how many transitions that was. */
    async notifyNew(): Promise<number> {
      const [raw, transitions] = await Promise.all([core.redis.get(source.markerKey), source.transitions(20)]);
      const isNew = raw === null ? (at: number) => at >= Date.now() - NEWS_WITHOUT_MARKER_MS : (at: number) => at > Number(raw);
      const fresh = transitions.filter((t) => isNew(t.at)).reverse();
      for (const t of fresh) {
        await core.producers.enqueueSystemEvent({ event: source.degrades(t) ? 'system.degraded' : 'system.recovered', at: t.at, reason: t.reason, dependency: source.dependency });
        await core.redis.eval(ADVANCE_MARKER, 1, source.markerKey, t.at);
      }
      return fresh.length;
    },
  };
}

/** The database breaker's transitions: opened is degraded, closed recovered. */
export function createBreakerTransitionNotifier(core: Core) {
  return createTransitionNotifier(core, {
    dependency: 'database',
    markerKey: `${core.breaker.keys.state}:notified-transition`,
    transitions: (limit) => core.breaker.transitions(limit),
    degrades: (t) => t.to === 'open',
  });
}

/** ThingSpeak outage transitions: outage is degraded, up again recovered. */
export function createThingSpeakTransitionNotifier(core: Core, monitor: ThingSpeakOutageMonitor) {
  return createTransitionNotifier(core, {
    dependency: 'thingspeak',
    markerKey: `${monitor.keys.state}:notified-transition`,
    transitions: (limit) => monitor.transitions(limit),
    degrades: (t) => t.to === 'outage',
  });
}

/**
 * THE rule of a ThingSpeak-wide outage. A sample is what every worker's polls saw over the last
 * few seconds: ok, or failed in a way that is ThingSpeak's (5xx, timeout, network). Per-channel
 * answers (access denied, not found, 429) are neither.
 *
 *   up     --(failed share > ratio in every sample for outageMs)--> outage
 *   outage --(a sample with failed share <= ratio)-->             up
 *
 * A sample with no polls changes nothing: while polls back off, silence is not recovery.
 */
export type ThingSpeakStatus = 'up' | 'outage';

export interface OutageState {
  status: ThingSpeakStatus;
  /** Since when every sample has been bad (null: the last sample was good). */
  badSince: number | null;
}

export interface OutageRule {
  /** THINGSPEAK_OUTAGE_RATIO: the failed share above which a sample is bad. */
  ratio: number;
  /** THINGSPEAK_OUTAGE_MS: how long samples must stay bad. */
  outageMs: number;
}

export interface OutageSample {
  ok: number;
  failed: number;
}

export const NO_OUTAGE: OutageState = { status: 'up', badSince: null };

export function nextOutageState(state: OutageState, sample: OutageSample, rule: OutageRule, now: number): { state: OutageState; transition?: ThingSpeakStatus } {
  const total = sample.ok + sample.failed;
  if (total === 0) return { state };
  const bad = sample.failed / total > rule.ratio;
  if (state.status === 'outage') return bad ? { state } : { state: NO_OUTAGE, transition: 'up' };
  if (!bad) return { state: state.badSince === null ? state : NO_OUTAGE };
  const badSince = state.badSince ?? now;
  if (now - badSince >= rule.outageMs) return { state: { status: 'outage', badSince }, transition: 'outage' };
  return { state: { status: 'up', badSince } };
}

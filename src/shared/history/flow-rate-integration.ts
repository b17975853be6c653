import type { FlowRateUnit } from '../nodes/node';
import { utcDayOf } from './utc-days';
import type { FlowDay } from './totaliser';

/** Litres per millisecond for one unit of each flow-rate unit a node's config may name. */
const LITRES_PER_MS: Record<FlowRateUnit, number> = {
  'L/s': 1 / 1000,
  'L/min': 1 / 60_000,
  'L/h': 1 / 3_600_000,
  'm3/h': 1000 / 3_600_000,
};

/** The unit a flow rate is in when the node's config does not say. */
export const DEFAULT_FLOW_RATE_UNIT: FlowRateUnit = 'L/min';

/** Consecutive readings further apart than this many expected intervals are a gap: nothing is integrated across it. */
export const MAX_GAP_INTERVALS = 3;

export interface RateSample {
  at: number;
  /** Flow rate in `unit`; readings without a finite, non-negative rate never get here. */
  rate: number;
}

/**
 * Litres per UTC day from a flow meter's rate readings, oldest first, by the trapezoid rule:
 * between two consecutive readings (a, b) flowed (rate_a + rate_b) / 2 × (t_b - t_a), counted on
 * the UTC day of b. A pair further apart than MAX_GAP_INTERVALS expected intervals adds nothing
 * (the meter was silent; guessing the flow would invent water). A day holding a reading has an entry.
 */
export function integrateFlowRateByDay(samples: readonly RateSample[], opts: { unit: FlowRateUnit; expectedIntervalS: number }): Map<string, FlowDay> {
  const perMs = LITRES_PER_MS[opts.unit];
  const maxGapMs = MAX_GAP_INTERVALS * opts.expectedIntervalS * 1000;
  const days = new Map<string, FlowDay>();
  let previous: RateSample | undefined;
  for (const s of samples) {
    const day = utcDayOf(s.at);
    const totals = days.get(day) ?? { flowL: 0, totaliserResets: 0 };
    if (previous) {
      const dt = s.at - previous.at;
      if (dt <= maxGapMs) totals.flowL += ((previous.rate + s.rate) / 2) * dt * perMs;
    }
    days.set(day, totals);
    previous = s;
  }
  return days;
}

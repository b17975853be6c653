import { utcDayOf } from './utc-days';

/**
 * Field aliases taken as a flow meter's totaliser (a cumulative litre counter), in this order of
 * preference. With one of them in a channel's field mapping, the meter's litres come from the
 * counter's deltas instead of integrating its flow rate.
 */
export const TOTALISER_ALIASES = ['totaliser_l', 'totalizer_l', 'total_l'] as const;

/** A drop to below this fraction of the previous value is a reset of the counter (to near zero). */
export const TOTALISER_RESET_FRACTION = 0.05;

export interface TotaliserSample {
  at: number;
  /** Litres on the counter; readings without a finite, non-negative count never get here. */
  totalL: number;
}

export interface FlowDay {
  flowL: number;
  totaliserResets: number;
}

/**
 * Litres per UTC day from a totaliser's readings, oldest first: the sum of the rises between
 * consecutive readings, each on the UTC day of the later reading. A drop to below 5 % of the
 * previous value is a reset: the new value itself is the flow since the reset, and the reset is
 * counted that day. Any other drop (a glitch, a replaced meter) counts nowhere: it is neither flow
 * nor a reset, and counting resumes from the new value. A day holding a reading has an entry.
 */
export function totaliserFlowByDay(samples: readonly TotaliserSample[]): Map<string, FlowDay> {
  const days = new Map<string, FlowDay>();
  let previous: TotaliserSample | undefined;
  for (const s of samples) {
    const day = utcDayOf(s.at);
    const totals = days.get(day) ?? { flowL: 0, totaliserResets: 0 };
    if (previous) {
      if (s.totalL >= previous.totalL) totals.flowL += s.totalL - previous.totalL;
      else if (s.totalL < previous.totalL * TOTALISER_RESET_FRACTION) {
        totals.flowL += s.totalL;
        totals.totaliserResets += 1;
      }
    }
    days.set(day, totals);
    previous = s;
  }
  return days;
}

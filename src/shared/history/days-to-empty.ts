import { round } from './round';
import { DAY_MS } from './utc-days';
import type { VolumeSample } from './tank-consumption';

/** Days to empty looks at the drain over this many days before now. */
export const DRAIN_WINDOW_DAYS = 7;
/** Fewer valid readings than this in the window is too thin to extrapolate from. */
export const MIN_DRAIN_READINGS = 6;
/** Valid readings spanning less than this (first to last, in hours) are too thin as well. */
export const MIN_DRAIN_SPAN_HOURS = 24;

/** What days to empty is computed from: the window's valid volume readings, as a count and the two ends. */
export interface DrainWindow {
  readings: number;
  first: VolumeSample | null;
  last: VolumeSample | null;
}

export interface DaysToEmptyBasis {
  windowDays: number;
  readings: number;
  spanHours: number;
  /** (first volume - last volume) / span in days; negative when filling; null when too thin. */
  netDrainLPerDay: number | null;
  /** Why daysToEmpty is null; null when it is not. */
  reason: string | null;
}

export interface DaysToEmpty {
  daysToEmpty: number | null;
  basis: DaysToEmptyBasis;
}

/** The DrainWindow of valid volume readings (oldest first) recorded in [sinceMs, untilMs]. */
export function drainWindowOf(samples: readonly VolumeSample[], sinceMs: number, untilMs: number): DrainWindow {
  const inWindow = samples.filter((s) => s.at >= sinceMs && s.at <= untilMs);
  return { readings: inWindow.length, first: inWindow[0] ?? null, last: inWindow[inWindow.length - 1] ?? null };
}

/**
 * Days until the tank is empty at its net drain rate over the window: rate = (first volume - last
 * volume) / (days between the first and last valid reading in the window), daysToEmpty = last
 * volume / rate. Null, with the reason, when the data is too thin (fewer than MIN_DRAIN_READINGS
 * valid readings, or spanning less than MIN_DRAIN_SPAN_HOURS) or when the tank is filling or flat
 * over the window (no drain to extrapolate).
 */
export function daysToEmpty(w: DrainWindow): DaysToEmpty {
  const spanHours = w.first && w.last ? (w.last.at - w.first.at) / 3_600_000 : 0;
  const basis = (netDrainLPerDay: number | null, reason: string | null): DaysToEmptyBasis => ({
    windowDays: DRAIN_WINDOW_DAYS,
    readings: w.readings,
    spanHours: round(spanHours, 2),
    netDrainLPerDay: netDrainLPerDay === null ? null : round(netDrainLPerDay, 1),
    reason,
  });
  if (!w.first || !w.last || w.readings < MIN_DRAIN_READINGS || spanHours < MIN_DRAIN_SPAN_HOURS) {
    const reason =
      `too thin: ${w.readings} valid volume reading${w.readings === 1 ? '' : 's'} spanning ${round(spanHours, 1)} h in the last ${DRAIN_WINDOW_DAYS} days ` +
      `(needs at least ${MIN_DRAIN_READINGS} spanning ${MIN_DRAIN_SPAN_HOURS} h)`;
    return { daysToEmpty: null, basis: basis(null, reason) };
  }
  const rate = (w.first.volumeL - w.last.volumeL) / ((w.last.at - w.first.at) / DAY_MS);
  if (rate < 0) return { daysToEmpty: null, basis: basis(rate, `filling: the volume rose by ${round(-rate, 1)} L/day over the window`) };
  if (rate === 0) return { daysToEmpty: null, basis: basis(0, 'flat: no net drain over the window') };
  return { daysToEmpty: round(w.last.volumeL / rate, 2), basis: basis(rate, null) };
}

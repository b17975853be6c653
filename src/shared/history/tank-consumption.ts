import { utcDayOf } from './utc-days';

/** One valid volume reading of a tank (invalid readings, with no volume, never get here). */
export interface VolumeSample {
  at: number;
  volumeL: number;
}

export interface TankDay {
  /** Sum of the falls in volume between consecutive readings. */
  drawnL: number;
  /** Sum of the rises. */
  refilledL: number;
  /** refilledL - drawnL. */
  netL: number;
}

/**
 * Litres drawn and refilled per UTC day from a tank's valid volume readings, oldest first. Each step
 * between two consecutive valid readings is a fall (drawn) or a rise (refilled) and counts on the
 * UTC day of the later reading, however long the gap: the water went somewhere in between. A day
 * holding a valid reading has an entry (zeros when that reading has no predecessor); a day with
 * none has no entry, which callers show as null ("no data"), never as 0.
 */
export function tankConsumptionByDay(samples: readonly VolumeSample[]): Map<string, TankDay> {
  const days = new Map<string, TankDay>();
  let previous: VolumeSample | undefined;
  for (const s of samples) {
    const day = utcDayOf(s.at);
    const totals = days.get(day) ?? { drawnL: 0, refilledL: 0, netL: 0 };
    if (previous) {
      const step = s.volumeL - previous.volumeL;
      if (step < 0) totals.drawnL -= step;
      else totals.refilledL += step;
      totals.netL = totals.refilledL - totals.drawnL;
    }
    days.set(day, totals);
    previous = s;
  }
  return days;
}

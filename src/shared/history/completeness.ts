import { DAY_MS } from './utc-days';

/**
 * Readings a node should have stored on the UTC day starting at `dayStartMs`, from its expected
 * interval: one per whole interval of the day, or of the part of it before `nowMs` for today (and 0
 * for a day that has not started).
 */
export function expectedReadings(dayStartMs: number, nowMs: number, expectedIntervalS: number): number {
  const elapsedMs = Math.min(DAY_MS, Math.max(0, nowMs - dayStartMs));
  return Math.floor(elapsedMs / (expectedIntervalS * 1000));
}

/** Readings stored ÷ readings expected, capped at 1 (several channels, or a device faster than configured); 0 when none were expected. */
export function completeness(stored: number, expected: number): number {
  if (expected <= 0) return 0;
  return Math.min(1, stored / expected);
}

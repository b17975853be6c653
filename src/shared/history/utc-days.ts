/** UTC calendar days, the unit every per-day statistic is counted in. */
export const DAY_MS = 86_400_000;

/** "2026-11-29": the UTC day an instant falls on. */
export function utcDayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Midnight UTC at the start of the day holding `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The `days` UTC days ending with today (the day of `nowMs`), oldest first, as midnight instants. */
export function lastUtcDays(nowMs: number, days: number): number[] {
  const today = utcDayStart(nowMs);
  return Array.from({ length: days }, (_, i) => today - (days - 1 - i) * DAY_MS);
}

const DAY_MS = 86_400_000;

/** How long each kind of row is kept, in whole days (config.retention). */
export interface RetentionDays {
  readingsDays: number;
  alertsDays: number;
  auditDays: number;
  rollupsDays: number;
  /** Hourly buckets: at most rollupsDays (the daily ones carry on after them). */
  hourlyRollupsDays: number;
}

/** Rows strictly older than these instants are deleted. */
export interface RetentionCutoffs {
  readings: Date;
  /** Resolved alerts (by resolved_at) and finished notifications (by created_at). */
  alerts: Date;
  audit: Date;
  /** Day buckets of readings (reading_rollups), by bucket start. */
  rollups: Date;
  /** Hour buckets, by bucket start: never later than `rollups`. */
  hourlyRollups: Date;
}

/**
 * Fixed 24 h days in UTC, not calendar days: the job runs in UTC and a daylight-saving shift must
 * not keep or drop an extra hour of data.
 */
export function retentionCutoffs(now: Date, days: RetentionDays): RetentionCutoffs {
  const before = (d: number) => new Date(now.getTime() - d * DAY_MS);
  return {
    readings: before(days.readingsDays),
    alerts: before(days.alertsDays),
    audit: before(days.auditDays),
    rollups: before(days.rollupsDays),
    hourlyRollups: before(Math.min(days.hourlyRollupsDays, days.rollupsDays)),
  };
}

import { retentionCutoffs } from '../../../src/shared/retention/retention-cutoffs';

describe('retention cutoffs', () => {
  test('when days are given per table, then each cutoff is that many 24 h days before now', () => {
    const now = new Date('2026-06-15T03:30:00.000Z');

    const cutoffs = retentionCutoffs(now, { readingsDays: 30, alertsDays: 90, auditDays: 365, rollupsDays: 730, hourlyRollupsDays: 90 });

    expect(cutoffs).toEqual({
      readings: new Date('2026-05-16T03:30:00.000Z'),
      alerts: new Date('2026-03-17T03:30:00.000Z'),
      audit: new Date('2025-06-15T03:30:00.000Z'),
      rollups: new Date('2024-06-15T03:30:00.000Z'),
      hourlyRollups: new Date('2026-03-17T03:30:00.000Z'),
    });
  });

  test('when hourly rollups are set to outlive the daily ones, then they go with the daily ones', () => {
    const now = new Date('2026-06-15T03:30:00.000Z');

    const cutoffs = retentionCutoffs(now, { readingsDays: 30, alertsDays: 90, auditDays: 365, rollupsDays: 100, hourlyRollupsDays: 400 });

    expect(cutoffs.hourlyRollups).toEqual(cutoffs.rollups);
  });

  test('when the window spans a daylight-saving change, then the cutoff still moves by whole 24 h days in UTC', () => {
    // Europe and the US change clocks in March; the job's time zone is UTC, so nothing shifts.
    const cutoffs = retentionCutoffs(new Date('2026-04-01T00:00:00.000Z'), { readingsDays: 31, alertsDays: 1, auditDays: 1, rollupsDays: 1, hourlyRollupsDays: 1 });

    expect(cutoffs.readings.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(cutoffs.alerts.toISOString()).toBe('2026-03-31T00:00:00.000Z');
  });
});

import { tankConsumptionByDay } from '../../../src/shared/history/tank-consumption';
import { daysToEmpty, drainWindowOf } from '../../../src/shared/history/days-to-empty';
import { completeness, expectedReadings } from '../../../src/shared/history/completeness';
import { totaliserFlowByDay } from '../../../src/shared/history/totaliser';
import { integrateFlowRateByDay } from '../../../src/shared/history/flow-rate-integration';

/** Hand-computed vectors for the history formulas (issue 15 item 3), beside the tank-level vectors in tank.test.ts. */
const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2026, 10, 1); // 2026-11-01T00:00Z
const at = (hours: number) => T0 + hours * H;

describe('tank consumption per UTC day', () => {
  test('when the volume falls and rises, then falls are drawn and rises refilled, each on the day of the later reading', () => {
    // Day 1: 1000 -> 900 (fall 100) -> 950 (rise 50) -> 700 (fall 250): drawn 350, refilled 50, net -300.
    // Day 2: the step 700 (day 1, 23:00) -> 600 (day 2, 01:00) is a fall of 100 counted on day 2; 600 -> 1000 rise 400.
    //        drawn 100, refilled 400, net +300.
    const days = tankConsumptionByDay([
      { at: at(1), volumeL: 1000 },
      { at: at(6), volumeL: 900 },
      { at: at(12), volumeL: 950 },
      { at: at(23), volumeL: 700 },
      { at: at(25), volumeL: 600 },
      { at: at(30), volumeL: 1000 },
    ]);
    expect(days.get('2026-11-01')).toEqual({ drawnL: 350, refilledL: 50, netL: -300 });
    expect(days.get('2026-11-02')).toEqual({ drawnL: 100, refilledL: 400, netL: 300 });
  });

  test('when a day holds no valid reading, then it has no entry (null, not 0), and the step across it counts on the next day holding one', () => {
    // 800 on day 1, nothing on day 2, 500 on day 3: the fall of 300 counts on day 3.
    const days = tankConsumptionByDay([
      { at: at(10), volumeL: 800 },
      { at: at(58), volumeL: 500 },
    ]);
    expect(days.has('2026-11-02')).toBe(false);
    expect(days.get('2026-11-01')).toEqual({ drawnL: 0, refilledL: 0, netL: 0 });
    expect(days.get('2026-11-03')).toEqual({ drawnL: 300, refilledL: 0, netL: -300 });
  });
});

describe('days to empty', () => {
  /** One valid reading every 12 h for 6.5 days (14 readings), falling by 50 L each: 100 L/day. */
  const falling = Array.from({ length: 14 }, (_, i) => ({ at: at(12 * i), volumeL: 2000 - 50 * i }));
  const now = at(12 * 13) + H;

  test('when the tank drains steadily, then days to empty is the last volume over the net drain rate', () => {
    // First 2000 L at 0 h, last 2000 - 650 = 1350 L at 156 h = 6.5 days: drain (2000 - 1350) / 6.5 = 100 L/day.
    // Days to empty: 1350 / 100 = 13.5.
    const r = daysToEmpty(drainWindowOf(falling, now - 7 * D, now));
    expect(r).toEqual({ daysToEmpty: 13.5, basis: { windowDays: 7, readings: 14, spanHours: 156, netDrainLPerDay: 100, reason: null } });
  });

  test('when readings before the window exist, then only those in the last 7 days count', () => {
    // Window from now - 7 days = 157 h - 168 h = -11 h: all 14 readings; from 1 day later (-> 13 h) the first is at 24 h (1900 L).
    // From 24 h to 156 h = 5.5 days, 1900 - 1350 = 550 L: 100 L/day again; readings 12.
    const w = drainWindowOf(falling, now - 6 * D, now);
    expect(w).toMatchObject({ readings: 12, first: { at: at(24), volumeL: 1900 } });
    expect(daysToEmpty(w).daysToEmpty).toBe(13.5);
  });

  test('when the tank fills over the window, then days to empty is null and the reason says filling', () => {
    // 1000, 1075, 1150, 1225, 1300, 1300 L at 0, 12, 24, 36, 48, 48 h: +300 L over 2 days = a drain of -150 L/day.
    const filling = [1000, 1075, 1150, 1225, 1300, 1300].map((volumeL, i) => ({ at: at(Math.min(12 * i, 48)), volumeL }));
    const r = daysToEmpty(drainWindowOf(filling, at(-1), at(49)));
    expect(r).toEqual({
      daysToEmpty: null,
      basis: { windowDays: 7, readings: 6, spanHours: 48, netDrainLPerDay: -150, reason: 'filling: the volume rose by 150 L/day over the window' },
    });
  });

  test('when the volume is the same at both ends, then it is flat: null with that reason', () => {
    // 500, 480, 500, 480, 500, 500 L every 10 h: (500 - 500) / (50 h / 24) = 0 L/day.
    const flat = [500, 480, 500, 480, 500, 500].map((volumeL, i) => ({ at: at(10 * i), volumeL }));
    expect(daysToEmpty(drainWindowOf(flat, at(-1), at(51)))).toMatchObject({ daysToEmpty: null, basis: { readings: 6, spanHours: 50, netDrainLPerDay: 0, reason: 'flat: no net drain over the window' } });
  });

  test('when there are too few readings or they span under 24 h, then it is null and the reason says how thin', () => {
    // 5 readings over 48 h: fewer than 6.
    const few = [0, 12, 24, 36, 48].map((h) => ({ at: at(h), volumeL: 1000 - h }));
    expect(daysToEmpty(drainWindowOf(few, at(-1), at(49))).basis.reason).toBe('too thin: 5 valid volume readings spanning 48 h in the last 7 days (needs at least 6 spanning 24 h)');
    // 10 readings over 9 h: spans under 24 h.
    const short = Array.from({ length: 10 }, (_, i) => ({ at: at(i), volumeL: 1000 - i }));
    const r = daysToEmpty(drainWindowOf(short, at(-1), at(10)));
    expect(r).toMatchObject({ daysToEmpty: null, basis: { readings: 10, spanHours: 9, netDrainLPerDay: null } });
    expect(r.basis.reason).toContain('10 valid volume readings spanning 9 h');
    expect(daysToEmpty({ readings: 0, first: null, last: null }).basis.reason).toContain('0 valid volume readings spanning 0 h');
  });
});

describe('completeness', () => {
  test('when a whole day is past, then 86400 / interval readings are expected; today only up to now', () => {
    // 900 s interval: 86400 / 900 = 96 a day. Today at 06:30: 6.5 h * 4 = 26.
    expect(expectedReadings(T0, T0 + 3 * D, 900)).toBe(96);
    expect(expectedReadings(T0, T0 + 6.5 * H, 900)).toBe(26);
    // 7 minutes past midnight with a 900 s interval: floor(420 / 900) = 0.
    expect(expectedReadings(T0, T0 + 7 * 60_000, 900)).toBe(0);
    // 7 s interval: floor(86400 / 7) = 12342.
    expect(expectedReadings(T0, T0 + D, 7)).toBe(12342);
  });

  test('when more readings than expected were stored, then completeness is capped at 1; with none expected it is 0', () => {
    expect(completeness(72, 96)).toBe(0.75);
    expect(completeness(150, 96)).toBe(1);
    expect(completeness(3, 0)).toBe(0);
  });
});

describe('flow meter litres per day', () => {
  test('when a totaliser rises, then the litres are the sum of its rises on the day of the later reading', () => {
    // Day 1: 1000 -> 1250 -> 1400: 250 + 150 = 400. Day 2: 1400 (day 1, 22:00) -> 1500 (day 2, 02:00) = 100, -> 1800 = 300: 400.
    const days = totaliserFlowByDay([
      { at: at(2), totalL: 1000 },
      { at: at(10), totalL: 1250 },
      { at: at(22), totalL: 1400 },
      { at: at(26), totalL: 1500 },
      { at: at(40), totalL: 1800 },
    ]);
    expect(days.get('2026-11-01')).toEqual({ flowL: 400, totaliserResets: 0 });
    expect(days.get('2026-11-02')).toEqual({ flowL: 400, totaliserResets: 0 });
  });

  test('when the totaliser drops to near zero, then it is a reset: the new value is the flow since, not negative flow', () => {
    // 5000 -> 5200 (+200) -> 30 (30 < 5 % of 5200 = 260: reset, +30) -> 130 (+100): 330 litres, 1 reset.
    const days = totaliserFlowByDay([
      { at: at(1), totalL: 5000 },
      { at: at(2), totalL: 5200 },
      { at: at(3), totalL: 30 },
      { at: at(4), totalL: 130 },
    ]);
    expect(days.get('2026-11-01')).toEqual({ flowL: 330, totaliserResets: 1 });
  });

  test('when the totaliser drops but not to near zero, then the drop counts nowhere and counting resumes from the new value', () => {
    // 5000 -> 4000 (80 % of 5000: not a reset, ignored) -> 4100 (+100): 100 litres, no reset.
    const days = totaliserFlowByDay([
      { at: at(1), totalL: 5000 },
      { at: at(2), totalL: 4000 },
      { at: at(3), totalL: 4100 },
    ]);
    expect(days.get('2026-11-01')).toEqual({ flowL: 100, totaliserResets: 0 });
  });

  test('when a flow rate is integrated, then each pair adds the trapezoid (rate_a + rate_b) / 2 x dt', () => {
    // L/min, 10-minute readings: 0 -> 10 -> 20 -> 20 L/min at 00:00, 00:10, 00:20, 00:30.
    // (0+10)/2*10 + (10+20)/2*10 + (20+20)/2*10 = 50 + 150 + 200 = 400 L.
    const rates = [0, 10, 20, 20].map((rate, i) => ({ at: T0 + i * 600_000, rate }));
    expect(integrateFlowRateByDay(rates, { unit: 'L/min', expectedIntervalS: 600 }).get('2026-11-01')).toEqual({ flowL: 400, totaliserResets: 0 });
    // The same numbers in L/s: 60 times as much (24,000 L); in m3/h: 1000/60 times as much (6,666.67 L).
    expect(integrateFlowRateByDay(rates, { unit: 'L/s', expectedIntervalS: 600 }).get('2026-11-01')!.flowL).toBeCloseTo(24_000, 6);
    expect(integrateFlowRateByDay(rates, { unit: 'm3/h', expectedIntervalS: 600 }).get('2026-11-01')!.flowL).toBeCloseTo(6666.667, 2);
  });

  test('when two rate readings are more than 3 expected intervals apart, then nothing is integrated across the gap', () => {
    // 60 s interval: gap limit 180 s. 12 L/min at 00:00 and 00:03 (180 s: integrated, 12 * 3 = 36 L),
    // then 12 L/min at 00:10 (420 s after: a gap, 0 L), then 6 L/min at 00:11 ((12+6)/2 * 1 = 9 L): 45 L.
    const rates = [
      { at: T0, rate: 12 },
      { at: T0 + 180_000, rate: 12 },
      { at: T0 + 600_000, rate: 12 },
      { at: T0 + 660_000, rate: 6 },
    ];
    expect(integrateFlowRateByDay(rates, { unit: 'L/min', expectedIntervalS: 60 }).get('2026-11-01')!.flowL).toBeCloseTo(45, 9);
  });

  test('when the pair spans midnight, then its litres count on the day of the later reading', () => {
    // 23:50 -> 00:10 at 6 L/min: 6 * 20 = 120 L on day 2; day 1 has an entry with 0.
    const days = integrateFlowRateByDay(
      [
        { at: at(24) - 600_000, rate: 6 },
        { at: at(24) + 600_000, rate: 6 },
      ],
      { unit: 'L/min', expectedIntervalS: 900 },
    );
    expect(days.get('2026-11-01')).toEqual({ flowL: 0, totaliserResets: 0 });
    expect(days.get('2026-11-02')!.flowL).toBeCloseTo(120, 9);
  });
});

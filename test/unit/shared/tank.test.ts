import { tankCapacityLitres, tankLevelPct } from '../../../src/shared/nodes/tank';
import { deriveState, foldMetrics } from '../../../src/shared/nodes/node-state';
import { isOnline } from '../../../src/shared/nodes/offline-threshold';

describe('tank maths (domain.md vectors)', () => {
  test('when H = 163 cm and d = 46 cm, then the level is 71.8 %', () => {
    const r = tankLevelPct(46, 163);
    expect(r.ok && Math.round(r.levelPct * 10) / 10).toBe(71.8);
  });

  test('when the distance exceeds the height, then the level is 0 %', () => {
    expect(tankLevelPct(200, 163)).toEqual({ ok: true, levelPct: 0 });
  });

  test('when the distance is missing or 0, then the reading is invalid, not 100 %', () => {
    expect(tankLevelPct(null, 163).ok).toBe(false);
    expect(tankLevelPct(0, 163).ok).toBe(false);
  });

  test('when a rectangular tank is 2 x 1.5 x 1.63 m, then it holds 4,890 L', () => {
    expect(tankCapacityLitres({ shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 })).toBeCloseTo(4890, 6);
  });

  test('when a tank is a cylinder, then its capacity is pi r^2 H (not 0 as in the old system)', () => {
    expect(tankCapacityLitres({ shape: 'cylinder', unit: 'cm', height: 200, radius: 50 })).toBeCloseTo(Math.PI * 0.25 * 2 * 1000, 6);
  });
});

describe('node state', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

  test('when readings arrive out of order, then the latest by event time wins and unwritten fields keep their value', () => {
    const folded = foldMetrics(
      { temperature: 20 },
      at(0),
      [
        { entryId: 3, recordedAt: at(30), parsed: { field2: { value: 50, status: 'ok' } } },
        { entryId: 2, recordedAt: at(20), parsed: { field2: { value: 60, status: 'ok' }, field1: { value: 22, status: 'ok' } } },
        { entryId: 4, recordedAt: at(40), parsed: { field1: { value: null, status: 'empty' } } },
      ],
      { field1: 'temperature', field2: 'distance_cm' },
    );
    expect(folded).toEqual({ metrics: { temperature: 22, distance_cm: 50 }, lastReadingAt: at(40) });
  });

  test('when a backfilled reading is older than the state, then it does not overwrite newer values', () => {
    const folded = foldMetrics({ distance_cm: 10 }, at(50), [{ entryId: 9, recordedAt: at(10), parsed: { field2: { value: 99, status: 'ok' } } }], { field2: 'distance_cm' });
    expect(folded.metrics.distance_cm).toBe(10);
  });

  test('when a tank node has no dimensions, then the note says so instead of inventing a level', () => {
    const s = deriveState({ analyticsType: 'EvaraTank', config: {} }, { distance_cm: 40 }, at(0));
    expect(s).toMatchObject({ levelPct: null, note: 'tank dimensions are not configured' });
  });

  test('when the newest reading is older than three expected intervals, then the node is offline', () => {
    expect(isOnline(at(0), 60, new Date(at(0).getTime() + 180_000))).toBe(true);
    expect(isOnline(at(0), 60, new Date(at(0).getTime() + 181_000))).toBe(false);
    expect(isOnline(null, 60, at(0))).toBe(false);
  });
});

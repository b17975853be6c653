import { nodeStats, readingsNeededFrom, samplesFromReadings, samplesFromValues, type NodeForStats } from '../../../src/shared/history/node-stats';
import type { MappedReading } from '../../../src/shared/history/mapped-reading';
import { primaryColumnOf, valueColumnsOf } from '../../../src/shared/history/value-columns';

/** The per-day answer of GET /nodes/:id/stats from readings, through sampleMetrics as alerts see them. */
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1); // 2026-11-01T00:00Z
const NOW = T0 + 2 * 24 * H + 12 * H; // 2026-11-03T12:00Z

const tank: NodeForStats = {
  id: '00000000-0000-4000-8000-000000000001',
  analyticsType: 'EvaraTank',
  // 2 m x 1.5 m x 1.63 m = 4,890 L; H = 163 cm.
  config: { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } },
  expectedIntervalS: 6 * 3600,
};

/** nodeStats over readings decoded in full (the fallback path; the typed-column path is checked against it below). */
const statsOf = (node: NodeForStats, readings: MappedReading[], countsByDay: Map<string, number>, days: number) =>
  nodeStats(node, { samples: samplesFromReadings(node, readings), countsByDay, nowMs: NOW, days });

let entry = 0;
function reading(hours: number, fields: Record<string, number | null | 'nan'>, mapping: Record<string, string>): MappedReading {
  entry += 1;
  const parsed = Object.fromEntries(Object.entries(fields).map(([f, v]) => [f, v === 'nan' ? { value: null, status: 'nan' as const } : { value: v, status: 'ok' as const }]));
  return { entryId: entry, recordedAt: new Date(T0 + hours * H), parsed, mapping };
}

describe('node stats per UTC day', () => {
  const tankMapping = { field1: 'temperature', field2: 'distance_cm' };

  test('when a tank has valid and invalid readings, then litres come from the valid ones and a day without any is null', () => {
    // d = 16.3 cm -> (163 - 16.3) / 163 = 90 % -> 4,401 L; d = 81.5 cm -> 50 % -> 2,445 L.
    // Day 1: 4401 -> 2445: drawn 1,956. Day 2: NaN and 0 cm are invalid (skipped, not 0 L): null.
    // Day 3: 2445 (day 1) -> 4401: refilled 1,956 on day 3.
    const readings = [
      reading(6, { field1: 25, field2: 16.3 }, tankMapping),
      reading(18, { field1: 25, field2: 81.5 }, tankMapping),
      reading(30, { field1: 25, field2: 'nan' }, tankMapping),
      reading(36, { field1: 25, field2: 0 }, tankMapping),
      reading(54, { field1: 25, field2: 16.3 }, tankMapping),
    ];
    const countsByDay = new Map([
      ['2026-11-01', 2],
      ['2026-11-02', 2],
      ['2026-11-03', 1],
    ]);
    const s = statsOf(tank, readings, countsByDay, 3);
    expect(s).toMatchObject({ nodeId: tank.id, kind: 'tank', from: '2026-11-01T00:00:00.000Z', to: '2026-11-03T12:00:00.000Z' });
    // 6 h interval: 4 expected a whole day; today up to 12:00: 2. Completeness 2/4, 2/4, 1/2.
    expect(s.days).toEqual([
      { day: '2026-11-01', readings: 2, expected: 4, completeness: 0.5, drawnL: 1956, refilledL: 0, netL: -1956, flowL: null, totaliserResets: 0 },
      { day: '2026-11-02', readings: 2, expected: 4, completeness: 0.5, drawnL: null, refilledL: null, netL: null, flowL: null, totaliserResets: 0 },
      { day: '2026-11-03', readings: 1, expected: 2, completeness: 0.5, drawnL: 0, refilledL: 1956, netL: 1956, flowL: null, totaliserResets: 0 },
    ]);
    // 3 valid readings from 06:00 on day 1 to 06:00 on day 3 (48 h): fewer than 6.
    expect(s.daysToEmpty).toBeNull();
    expect(s.daysToEmptyBasis).toMatchObject({ readings: 3, spanHours: 48, netDrainLPerDay: null });
    expect(s.daysToEmptyBasis.reason).toMatch(/^too thin: 3 valid volume readings spanning 48 h/);
  });

  test('when a tank has no dimensions, then there are no litres and days to empty says why', () => {
    const s = statsOf({ ...tank, config: {} }, [reading(6, { field2: 16.3 }, tankMapping)], new Map(), 1);
    expect(s.days).toEqual([{ day: '2026-11-03', readings: 0, expected: 2, completeness: 0, drawnL: null, refilledL: null, netL: null, flowL: null, totaliserResets: 0 }]);
    expect(s.daysToEmptyBasis.reason).toBe('tank dimensions are not configured');
  });

  test('when a flow meter maps a totaliser, then its litres are the counter deltas, with resets counted', () => {
    // 10,000 -> 10,400 (+400, day 1) -> 100 (< 5 % of 10,400 = 520: reset, +100, day 2) -> 350 (+250, day 2).
    const meter: NodeForStats = { id: tank.id, analyticsType: 'EvaraFlow', config: {}, expectedIntervalS: 3600 };
    const m = { field1: 'flow_rate', field3: 'totaliser_l' };
    const readings = [reading(2, { field1: 5, field3: 10_000 }, m), reading(20, { field1: 5, field3: 10_400 }, m), reading(26, { field1: 5, field3: 100 }, m), reading(30, { field1: 5, field3: 350 }, m)];
    const s = statsOf(meter, readings, new Map(), 3);
    expect(s.kind).toBe('flow');
    expect(s.days.map((d) => [d.day, d.flowL, d.totaliserResets, d.drawnL])).toEqual([
      ['2026-11-01', 400, 0, null],
      ['2026-11-02', 350, 1, null],
      ['2026-11-03', null, 0, null],
    ]);
    expect(s.daysToEmptyBasis.reason).toBe('not a tank');
  });

  test('when a flow meter has no totaliser, then its rate is integrated in the unit its config names', () => {
    // L/s, hourly readings (3,600 s interval): 2 L/s at 01:00 and 4 L/s at 02:00: (2 + 4) / 2 * 3,600 s = 10,800 L.
    // The next reading at 07:00 is 5 h later (> 3 intervals): nothing across that gap.
    const meter: NodeForStats = { id: tank.id, analyticsType: 'EvaraFlow', config: { flow: { rateUnit: 'L/s' } }, expectedIntervalS: 3600 };
    const m = { field1: 'flow_rate' };
    const readings = [reading(1, { field1: 2 }, m), reading(2, { field1: 4 }, m), reading(7, { field1: 4 }, m), reading(8, { field1: -3 }, m)];
    const s = statsOf(meter, readings, new Map(), 3);
    expect(s.days[0]!.flowL).toBe(10_800);
  });

  test('when the node is a borewell, then only completeness is given', () => {
    const s = statsOf({ ...tank, analyticsType: 'EvaraDeep', config: {} }, [], new Map([['2026-11-02', 4]]), 2);
    expect(s.kind).toBe('other');
    expect(s.days.map((d) => [d.readings, d.completeness, d.drawnL, d.flowL])).toEqual([
      [4, 1, null, null],
      [0, 0, null, null],
    ]);
  });

  test('when stats are asked for 1 day, then readings are read from 8 days back (the 7-day window and the day before it)', () => {
    expect(new Date(readingsNeededFrom(NOW, 1)).toISOString()).toBe('2026-10-26T12:00:00.000Z');
    // 30 days ending 2026-11-03 start on 2026-10-05; one more day back for the first step.
    expect(new Date(readingsNeededFrom(NOW, 30)).toISOString()).toBe('2026-10-04T00:00:00.000Z');
  });
});

describe('stats from one typed column per reading (what the API reads)', () => {
  test('when the valid distances of a tank are given as values, then the volumes equal those of the fully decoded readings', () => {
    // The query keeps distances > 0 only: 16.3, 81.5 and 16.3 cm of the first test -> 4,401, 2,445 and 4,401 L.
    const m = { field2: 'distance_cm' };
    const decoded = samplesFromReadings(tank, [reading(6, { field2: 16.3 }, m), reading(18, { field2: 81.5 }, m), reading(30, { field2: 'nan' }, m), reading(54, { field2: 16.3 }, m)]);
    const values = samplesFromValues(tank, 'distance', [
      { at: T0 + 6 * H, value: 16.3 },
      { at: T0 + 18 * H, value: 81.5 },
      { at: T0 + 54 * H, value: 16.3 },
    ]);
    expect(values).toEqual(decoded);
    expect(values).toEqual({
      measure: 'distance',
      volumes: [
        { at: T0 + 6 * H, volumeL: 4401 },
        { at: T0 + 18 * H, volumeL: 2445 },
        { at: T0 + 54 * H, volumeL: 4401 },
      ],
    });
  });

  test('when a flow meter maps a totaliser on one channel, then the totaliser is the measure; without one, the rate', () => {
    const meter = { analyticsType: 'EvaraFlow' as const, config: {} };
    expect(
      valueColumnsOf(meter, [
        { channelEpochId: 1, mapping: { field1: 'flow_rate' } },
        { channelEpochId: 2, mapping: { field1: 'flow_rate', field3: 'totalizer_l' } },
      ]),
    ).toEqual({ measure: 'totaliser', columns: [{ channelEpochId: 2, column: 'f3' }], untyped: false });
    expect(valueColumnsOf(meter, [{ channelEpochId: 1, mapping: { field1: 'flow_rate' } }])).toEqual({ measure: 'rate', columns: [{ channelEpochId: 1, column: 'f1' }], untyped: false });
    expect(valueColumnsOf({ analyticsType: 'EvaraDeep', config: {} }, [])).toBeUndefined();
    expect(valueColumnsOf(tank, [{ channelEpochId: 7, mapping: { field7: 'distance_cm' } }])).toEqual({ measure: 'distance', columns: [], untyped: true });
  });
});

describe('where a tank distance is stored', () => {
  test('when the mapping names distance_cm, then its field column is used; an unmapped field2 is the fallback', () => {
    expect(primaryColumnOf(tank, { field1: 'temperature', field3: 'distance_cm' })).toBe('f3');
    expect(primaryColumnOf(tank, { field1: 'temperature' })).toBe('f2');
    expect(primaryColumnOf(tank, { field1: 'temperature', field2: 'humidity' })).toBeUndefined();
    expect(primaryColumnOf(tank, { field6: 'distance_cm' })).toBe('untyped');
    expect(primaryColumnOf({ ...tank, config: { ...tank.config, primaryMetric: 'sonar' } }, { field4: 'sonar', field2: 'distance_cm' })).toBe('f4');
  });
});

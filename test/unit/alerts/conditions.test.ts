import { sampleMetrics } from '../../../src/shared/alerts/sample-metrics';
import { dataQualityConditions, ruleCondition } from '../../../src/shared/alerts/conditions';
import type { AlertRule } from '../../../src/shared/alerts/alert';

const tank = { analyticsType: 'EvaraTank' as const, config: { tank: { shape: 'rectangular' as const, unit: 'cm' as const, height: 163, length: 200, breadth: 150 } } };
const mapping = { field1: 'temperature', field2: 'distance_cm' };
const reading = (fields: Record<string, { value: number | null; status: 'ok' | 'nan' | 'invalid' | 'empty' }>) => ({ entryId: 7, recordedAt: new Date('2026-11-29T00:00:00Z'), parsed: fields });

describe('sampleMetrics: what one reading says, by the names a rule may use', () => {
  test('when a tank reading has a distance, then aliases, raw fields and the derived level and litres are all available', () => {
    const s = sampleMetrics(reading({ field1: { value: 27.5, status: 'ok' }, field2: { value: 46, status: 'ok' } }), mapping, tank);
    expect(s.values.get('distance_cm')).toBe(46);
    expect(s.values.get('field2')).toBe(46);
    expect(s.values.get('temperature')).toBe(27.5);
    expect(s.values.get('level_pct')).toBe(71.8); // domain.md: H = 163 cm, d = 46 cm -> 71.8 %
    expect(s.values.get('volume_l')).toBeGreaterThan(0);
    expect(s.at).toBe(Date.parse('2026-11-29T00:00:00Z'));
  });

  test('when the distance is garbage, then it has no level and is marked as garbage for the data-quality check', () => {
    const s = sampleMetrics(reading({ field2: { value: null, status: 'nan' } }), mapping, tank);
    expect(s.values.get('distance_cm')).toBeNull();
    expect(s.values.has('level_pct')).toBe(false);
    expect(s.garbage.get('distance_cm')).toBe(true);
  });

  test('when a field was not written in the entry, then the reading says nothing about it', () => {
    const s = sampleMetrics(reading({ field1: { value: 27, status: 'ok' }, field2: { value: null, status: 'empty' } }), mapping, tank);
    expect(s.values.has('distance_cm')).toBe(false);
    expect(s.garbage.has('distance_cm')).toBe(false);
  });
});

describe('conditions', () => {
  const rule: AlertRule = {
    id: 'r1',
    communityId: 'c',
    nodeId: 'n',
    category: null,
    name: 'Tank low',
    metric: 'level_pct',
    operator: '<',
    threshold: 20,
    clearThreshold: 25,
    forSeconds: 300,
    severity: 'critical',
    cooldownSeconds: 0,
    enabled: true,
    createdAt: new Date(),
    updatedAt: new Date(),
  };

  test('when a rule becomes a condition, then it reads its metric and describes the breach for people', () => {
    const c = ruleCondition(rule);
    const s = sampleMetrics(reading({ field2: { value: 150, status: 'ok' } }), mapping, tank);
    expect(c.key).toBe('r1');
    expect(c.valueOf(s)).toBeCloseTo(8, 0);
    expect(c.describe(8, 'Bakul OHT')).toEqual({ title: 'Tank low', message: 'Bakul OHT: level_pct is 8 (< 20 for 5 min)' });
  });

  test('when a field is checked for data quality, then garbage is 1, a number 0 and an unwritten field nothing', () => {
    const [c] = dataQualityConditions(['distance_cm'], 1_800_000);
    expect(c!.rule).toEqual({ operator: '==', threshold: 1, forSeconds: 1800 });
    expect(c!.valueOf(sampleMetrics(reading({ field2: { value: null, status: 'invalid' } }), mapping, tank))).toBe(1);
    expect(c!.valueOf(sampleMetrics(reading({ field2: { value: 80, status: 'ok' } }), mapping, tank))).toBe(0);
    expect(c!.valueOf(sampleMetrics(reading({ field1: { value: 27, status: 'ok' } }), mapping, tank))).toBeNull();
  });
});

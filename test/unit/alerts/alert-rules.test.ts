import { evaluateRule, validateRule, type RuleSample, type ThresholdRule } from '../../../src/shared/alerts/alert-rules';

const minute = 60_000;
const series = (values: Array<number | null>, stepMs = minute): RuleSample[] => values.map((value, i) => ({ at: i * stepMs, value }));

describe('evaluateRule', () => {
  const lowLevel: ThresholdRule = { operator: '<', threshold: 20, clearThreshold: 25, forSeconds: 300 };

  test('when a rule is in breach for an hour, then it opens exactly once', () => {
    const { events, phase } = evaluateRule(lowLevel, { phase: 'normal' }, series(Array.from({ length: 61 }, () => 10)));
    expect(events).toEqual([{ type: 'open', at: 5 * minute, value: 10 }]);
    expect(phase.phase).toBe('firing');
  });

  test('when the breach lasts less than the duration, then nothing opens', () => {
    expect(evaluateRule(lowLevel, { phase: 'normal' }, series([10, 10, 10, 10, 30, 10])).events).toEqual([]);
  });

  test('when a value hovers around the threshold, then hysteresis keeps one alert open until the clear threshold is passed', () => {
    const values = [10, 10, 10, 10, 10, 10, 21, 19, 22, 18, 24, 19, 26];
    const { events } = evaluateRule(lowLevel, { phase: 'normal' }, series(values));
    expect(events.map((e) => e.type)).toEqual(['open', 'resolve']);
    expect(events[1]).toEqual({ type: 'resolve', at: 12 * minute, value: 26 });
  });

  test('when readings are missing or NaN, then they neither open nor resolve', () => {
    const start = { phase: 'firing' as const, since: 0 };
    expect(evaluateRule(lowLevel, start, series([null, Number.NaN, null])).events).toEqual([]);
  });

  test('when evaluation continues from a saved phase, then a re-fed batch of the same breach does not fire again', () => {
    const first = evaluateRule(lowLevel, { phase: 'normal' }, series(Array.from({ length: 10 }, () => 10)));
    const again = evaluateRule(lowLevel, first.phase, series(Array.from({ length: 10 }, () => 10)));
    expect(first.events).toHaveLength(1);
    expect(again.events).toEqual([]);
  });

  test('when a clear threshold is on the wrong side, then the rule is refused with the reason', () => {
    expect(validateRule({ operator: '>', threshold: 90, clearThreshold: 95, forSeconds: 0 })).toMatch(/must not be above/);
    expect(validateRule({ operator: '==', threshold: 1, clearThreshold: 2, forSeconds: 0 })).toMatch(/not allowed/);
    expect(validateRule(lowLevel)).toBeUndefined();
  });
});

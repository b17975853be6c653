import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { parseFieldValue } from '../../../src/shared/thingspeak/field-value';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('simulator generator', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('when the generator runs for three cadences, then each chosen channel gets three plausible tank entries', () => {
    jest.useFakeTimers({ now: NOW });
    const local = createThingSpeakSimulator();
    local.createChannel({ id: 1 });
    local.createChannel({ id: 2 });
    local.createChannel({ id: 3 });

    local.startGenerator({ cadenceMs: 15_000, channels: [1, 2] });
    jest.advanceTimersByTime(45_000);
    local.stopGenerator();
    jest.advanceTimersByTime(45_000);

    expect(local.entries(1).map((e) => e.createdAt.getTime())).toEqual([NOW + 15_000, NOW + 30_000, NOW + 45_000]);
    expect(local.entries(2)).toHaveLength(3);
    expect(local.entries(3)).toHaveLength(0);
    for (const entry of local.entries(1)) {
      const distance = parseFieldValue(entry.fields.field2).value;
      expect(distance).toBeGreaterThanOrEqual(10);
      expect(distance).toBeLessThanOrEqual(160);
      expect(entry.fields.field1).toMatch(/^\d{2}\.\d$/);
    }
  });

  test('when messy values are asked for, then some values are nan, padded, comma or garbage and the rest parse', () => {
    const local = createThingSpeakSimulator({ now: () => new Date(NOW) });
    local.createChannel({ id: 1 });

    local.appendGenerated(1, 2000, { messyRatio: 0.5 });

    const statuses = new Set(local.entries(1).flatMap((e) => Object.values(e.fields).map((v) => parseFieldValue(v).status)));
    expect(statuses).toEqual(new Set(['ok', 'nan', 'decimal_comma', 'invalid']));
  });
});

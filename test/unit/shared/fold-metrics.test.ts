import { foldMetrics, type ParsedReading } from '../../../src/shared/nodes/node-state';

/** The fold as specified: sort by event time then entry id (stable), apply in order. */
function foldBySorting(previous: Record<string, number | null>, previousAt: Date | null, readings: ParsedReading[], mapping: Record<string, string>) {
  const ordered = readings
    .filter((r) => previousAt === null || r.recordedAt.getTime() >= previousAt.getTime())
    .sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime() || a.entryId - b.entryId);
  const metrics = { ...previous };
  let lastReadingAt = previousAt;
  for (const r of ordered) {
    for (const [field, pv] of Object.entries(r.parsed)) {
      if (pv.status === 'empty') continue;
      metrics[mapping[field] ?? field] = pv.value;
    }
    lastReadingAt = r.recordedAt;
  }
  return { metrics, lastReadingAt };
}

// A small deterministic generator: the same cases on every run, so a failure can be replayed.
function generator(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

describe('foldMetrics in one pass', () => {
  test('when readings come in any order, with ties in time, empty fields and two fields on one alias, then it equals sorting and folding', () => {
    const next = generator(42);
    const statuses = ['ok', 'ok', 'empty', 'nan'] as const;
    for (let c = 0; c < 500; c += 1) {
      const readings: ParsedReading[] = [];
      const count = next(12);
      for (let i = 0; i < count; i += 1) {
        const parsed: ParsedReading['parsed'] = {};
        for (const field of ['field1', 'field2', 'field3']) {
          if (next(3) === 0) continue;
          const status = statuses[next(statuses.length)]!;
          parsed[field] = { value: status === 'ok' ? next(100) : null, status };
        }
        // Few distinct times and ids, so equal times and equal (time, id) keys both occur.
        readings.push({ entryId: 1 + next(6), recordedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, next(5))), parsed });
      }
      const previousAt = next(3) === 0 ? null : new Date(Date.UTC(2026, 0, 1, 0, 0, next(4)));
      const mapping: Record<string, string> = next(2) === 0 ? { field1: 'level', field3: 'level' } : { field2: 'flow' };
      const previous = { level: 1, other: 2 };
      expect(foldMetrics(previous, previousAt, readings, mapping)).toEqual(foldBySorting(previous, previousAt, readings, mapping));
    }
  });
});

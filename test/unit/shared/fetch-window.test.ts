import { fetchWindow } from '../../../src/shared/polling/fetch-window';
import type { FeedEntry } from '../../../src/shared/thingspeak/feed';

/** A fake page source with ThingSpeak's rule: the newest `max` entries of the window. */
function source(entries: FeedEntry[], max: number) {
  const calls: Array<[Date, Date]> = [];
  const fetchPage = async (start: Date, end: Date) => {
    calls.push([start, end]);
    const inWindow = entries.filter((e) => e.createdAt >= start && e.createdAt <= end).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return inWindow.slice(-max);
  };
  return { fetchPage, calls };
}

const entry = (id: number, ms: number): FeedEntry => ({ entryId: id, createdAt: new Date(ms), fields: {} });

describe('fetchWindow', () => {
  test('when a window holds more entries than one page, then it is split until every entry is returned', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const entries = Array.from({ length: 1000 }, (_, i) => entry(i + 1, t0 + i * 1000));
    const { fetchPage, calls } = source(entries, 100);

    const got = await fetchWindow(fetchPage, new Date(t0), new Date(t0 + 2000_000), 100);

    expect(new Set(got.map((e) => e.entryId)).size).toBe(1000);
    expect(calls.length).toBeGreaterThan(10);
  });

  test('when a window holds fewer entries than a page, then one request is made', async () => {
    const { fetchPage, calls } = source([entry(1, 0), entry(2, 1000)], 100);
    expect(await fetchWindow(fetchPage, new Date(0), new Date(10_000), 100)).toHaveLength(2);
    expect(calls).toHaveLength(1);
  });
});

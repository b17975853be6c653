import { fetchWindow, newestFirstPages } from '../../../src/shared/polling/fetch-window';
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

describe('newestFirstPages', () => {
  async function collect(gen: AsyncGenerator<{ start: Date; entries: FeedEntry[] }>) {
    const pages: Array<{ start: Date; entries: FeedEntry[] }> = [];
    for await (const p of gen) pages.push(p);
    return pages;
  }

  test('when a history is many pages long, then every entry comes exactly once, newest page first, with one request per page', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    // Two entries a second at times, ids out of time order for a few back-dated ones.
    const entries = Array.from({ length: 1000 }, (_, i) => entry(i + 1, t0 + Math.floor(i / 2) * 1000));
    entries.push(entry(1001, t0 - 86_400_000), entry(1002, t0 - 3 * 86_400_000));
    const { fetchPage, calls } = source(entries, 100);

    const pages = await collect(newestFirstPages(fetchPage, new Date(0), new Date(t0 + 10_000_000), 100));

    const ids = pages.flatMap((p) => p.entries.map((e) => e.entryId));
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 1002 }, (_, i) => i + 1));
    expect(new Set(ids).size).toBe(ids.length);
    // Newest first: each page is older than the one before, and says how far back it is complete.
    for (let i = 1; i < pages.length; i++) expect(pages[i]!.start.getTime()).toBeLessThan(pages[i - 1]!.start.getTime());
    for (const p of pages) expect(p.entries.every((e) => e.createdAt >= p.start)).toBe(true);
    // 1002 entries at <= 99 new a page: 11 requests, none thrown away (halving windows took ~4x more).
    expect(calls.length).toBeLessThanOrEqual(12);
  });

  test('when more entries than a page share one second, then what came is kept and the walk goes on below that second', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const entries = [...Array.from({ length: 150 }, (_, i) => entry(i + 1, t0)), entry(151, t0 - 5_000)];
    const { fetchPage } = source(entries, 100);

    const pages = await collect(newestFirstPages(fetchPage, new Date(0), new Date(t0 + 1000), 100));

    expect(pages.flatMap((p) => p.entries.map((e) => e.entryId))).toContain(151);
    expect(pages.flatMap((p) => p.entries)).toHaveLength(101);
  });

  test('when a page is handed on, then the next window is already asked for, and a caller that stops early waits for that request to end', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const entries = Array.from({ length: 500 }, (_, i) => entry(i + 1, t0 + i * 1000));
    const { fetchPage, calls } = source(entries, 100);
    let inFlight = 0;
    let releaseSecond!: () => void;
    const secondHeld = new Promise<void>((resolve) => (releaseSecond = resolve));
    const slowSecond = async (start: Date, end: Date) => {
      inFlight += 1;
      if (calls.length === 1) await secondHeld;
      try {
        return await fetchPage(start, end);
      } finally {
        inFlight -= 1;
      }
    };
    const pages = newestFirstPages(slowSecond, new Date(0), new Date(t0 + 1000_000), 100);

    const first = await pages.next();
    // The first page is in hand and the second window's request has started, before anyone asked for it.
    expect(first.value.entries).toHaveLength(99);
    expect(inFlight).toBe(1);
    const stopped = pages.return(undefined);
    let stoppedYet = false;
    void stopped.then(() => (stoppedYet = true));
    await Promise.resolve();
    expect(stoppedYet).toBe(false);
    releaseSecond();
    await stopped;
    expect(inFlight).toBe(0);
  });

  test('when the caller already holds the first answer, then it is not asked again', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const entries = Array.from({ length: 50 }, (_, i) => entry(i + 1, t0 + i * 1000));
    const { fetchPage, calls } = source(entries, 100);
    const first = await fetchPage(new Date(0), new Date(t0 + 100_000));

    const pages = await collect(newestFirstPages(fetchPage, new Date(0), new Date(t0 + 100_000), 100, first));

    expect(pages).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });
});

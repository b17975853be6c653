import type { FeedEntry } from '../thingspeak/feed';

export const MAX_RESULTS = 8_000;

export type FetchPage = (start: Date, end: Date) => Promise<FeedEntry[]>;

/** One answer that holds every entry of its window. */
export interface WindowPage {
  start: Date;
  end: Date;
  entries: FeedEntry[];
}

/**
 * Pages holding every entry with start <= created_at <= end, oldest window first. ThingSpeak returns
 * only the newest `maxResults` rows of a window and drops the rest silently, so a full page means
 * "cut short": the window is split in two and each half fetched. created_at has one-second
 * resolution, which bounds the recursion. Only one page is held at a time, so a channel with a
 * million entries is read in constant memory.
 */
export async function* windowPages(fetchPage: FetchPage, start: Date, end: Date, maxResults = MAX_RESULTS): AsyncGenerator<WindowPage> {
  const entries = await fetchPage(start, end);
  const spanS = Math.floor((end.getTime() - start.getTime()) / 1000);
  // More than maxResults entries within one second cannot be split further; keep what came.
  if (entries.length < maxResults || spanS < 1) {
    yield { start, end, entries };
    return;
  }
  const mid = new Date(start.getTime() + Math.floor(spanS / 2) * 1000);
  yield* windowPages(fetchPage, start, mid, maxResults);
  yield* windowPages(fetchPage, new Date(mid.getTime() + 1000), end, maxResults);
}

/** Every entry of the window at once (small windows: the steady-state poll, the history search). */
export async function fetchWindow(fetchPage: FetchPage, start: Date, end: Date, maxResults = MAX_RESULTS): Promise<FeedEntry[]> {
  const all: FeedEntry[] = [];
  for await (const page of windowPages(fetchPage, start, end, maxResults)) for (const e of page.entries) all.push(e);
  return all;
}

/**
 * Pages holding every entry of [start, end], newest first, one request each: a first import's
 * way to read a long history. ThingSpeak answers a window with its newest `maxResults` entries, so a
 * full answer holds every entry created after its oldest entry's second; that second (maybe cut)
 * and everything older is the next window. Unlike halving windows, no answer is thrown away, so a
 * 100k-entry history costs ~13 requests instead of ~50. Each page's `start` says how far back it
 * is complete; the next window ends at `start` minus one second. `firstAnswer` is ThingSpeak's
 * answer for [start, end] when the caller already has it.
 */
export async function* newestFirstPages(fetchPage: FetchPage, start: Date, end: Date, maxResults = MAX_RESULTS, firstAnswer?: FeedEntry[]): AsyncGenerator<WindowPage> {
  let upper = end;
  // The next window is known as soon as an answer is: it is asked for before this page is handed
  // on, so ThingSpeak's answer travels while the caller works out and commits this one.
  let next: Promise<FeedEntry[]> | undefined = firstAnswer ? Promise.resolve(firstAnswer) : undefined;
  try {
    while (upper.getTime() >= start.getTime()) {
      const entries = await (next ?? fetchPage(start, upper));
      next = undefined;
      if (entries.length < maxResults) {
        yield { start, end: upper, entries };
        return;
      }
      let oldest = entries[0]!.createdAt.getTime();
      for (const e of entries) if (e.createdAt.getTime() < oldest) oldest = e.createdAt.getTime();
      const newer = entries.filter((e) => e.createdAt.getTime() > oldest);
      // More than maxResults entries within one second cannot be split further; keep what came.
      const page = newer.length === 0 ? { start: new Date(oldest), end: upper, entries } : { start: new Date(oldest + 1000), end: upper, entries: newer };
      upper = newer.length === 0 ? new Date(oldest - 1000) : new Date(oldest);
      if (upper.getTime() >= start.getTime()) {
        const window = upper;
        // Through a promise: a fetch that throws at once fails the next turn, not this page.
        next = Promise.resolve().then(() => fetchPage(start, window));
        next.catch(() => undefined); // awaited on the next turn, or dropped in finally
      }
      yield page;
    }
  } finally {
    // The caller stopped early (a commit failed): no request of this import outlives it.
    await next?.catch(() => undefined);
  }
}

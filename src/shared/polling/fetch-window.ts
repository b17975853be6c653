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

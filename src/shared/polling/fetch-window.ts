import type { FeedEntry } from '../thingspeak/feed';

export const MAX_RESULTS = 8_000;

export type FetchPage = (start: Date, end: Date) => Promise<FeedEntry[]>;

/**
 * Every entry with start <= created_at <= end. ThingSpeak returns only the newest 8000 rows of a
 * window and drops the rest silently, so a full page means "cut short": split the window in two
 * and fetch each half. created_at has one-second resolution, which bounds the recursion.
 */
export async function fetchWindow(fetchPage: FetchPage, start: Date, end: Date, maxResults = MAX_RESULTS): Promise<FeedEntry[]> {
  const page = await fetchPage(start, end);
  if (page.length < maxResults) return page;
  const spanS = Math.floor((end.getTime() - start.getTime()) / 1000);
  if (spanS < 1) {
    // More than maxResults entries within one second cannot be split further; keep what came.
    return page;
  }
  const mid = new Date(start.getTime() + Math.floor(spanS / 2) * 1000);
  const older = await fetchWindow(fetchPage, start, mid, maxResults);
  const newer = await fetchWindow(fetchPage, new Date(mid.getTime() + 1000), end, maxResults);
  return [...older, ...newer];
}

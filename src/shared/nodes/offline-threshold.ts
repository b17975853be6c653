/**
 * THE offline rule: a node is offline once its newest reading is older than three of its expected
 * intervals. Everything that asks "is this node online" or "since when is it offline" (node status,
 * the offline alert, the node list filter) goes through this module, in TypeScript or in SQL.
 */
const OFFLINE_AFTER_INTERVALS = 3;

/** How long a node may stay silent before it counts as offline. */
export function offlineAfterMs(expectedIntervalS: number): number {
  return expectedIntervalS * OFFLINE_AFTER_INTERVALS * 1000;
}

/** A node is online while its newest reading is younger than the offline threshold. */
export function isOnline(lastReadingAt: Date | null, expectedIntervalS: number, now: Date): boolean {
  if (lastReadingAt === null) return false;
  return now.getTime() - lastReadingAt.getTime() <= offlineAfterMs(expectedIntervalS);
}

/** When a node whose newest reading is `lastReadingAt` went (or goes) offline. */
export function offlineSince(lastReadingAt: Date, expectedIntervalS: number): Date {
  return new Date(lastReadingAt.getTime() + offlineAfterMs(expectedIntervalS));
}

/** The same threshold as a SQL interval, for repositories; `intervalColumn` holds the expected interval in seconds. */
export function offlineAfterSql(intervalColumn: string): string {
  return `make_interval(secs => ${intervalColumn} * ${OFFLINE_AFTER_INTERVALS})`;
}

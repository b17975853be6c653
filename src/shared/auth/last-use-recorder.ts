/** A key's last use is written at most this often: the column answers "is this key still in use?", it is no audit trail. */
export const LAST_USE_WRITE_INTERVAL_MS = 60_000;

// Bounds the memory a flood of distinct keys can take; forgetting a key costs at most one extra
// UPDATE, which the SQL guard turns into a no-op.
const MAX_TRACKED_KEYS = 10_000;

/**
 * Records that a key was used: at most one write per key per interval from this process, fired
 * and forgotten, so a request never waits on it and never fails because of it.
 */
export function createLastUseRecorder(write: (keyId: string) => Promise<unknown>, now: () => number = Date.now) {
  const writtenAt = new Map<string, number>();
  return {
    record(keyId: string): void {
      const t = now();
      const last = writtenAt.get(keyId);
      if (last !== undefined && t - last < LAST_USE_WRITE_INTERVAL_MS) return;
      writtenAt.delete(keyId); // re-inserted last: the first entry is always the oldest
      if (writtenAt.size >= MAX_TRACKED_KEYS) writtenAt.delete(writtenAt.keys().next().value!);
      writtenAt.set(keyId, t);
      write(keyId).catch(() => undefined);
    },
  };
}

/**
 * Where one id stands in its current window: how many requests it made, how long the window lasts.
 */
export interface Standing {
  consumed: number;
  msBeforeNext: number;
}

/** The shared counts (Redis): exact, one round trip per call. They throw when they cannot count. */
export interface SharedCounts {
  /** Adds `points` to `id`'s count and answers the new standing (also when past the quota). */
  add(id: string, points: number): Promise<Standing>;
  /** `id`'s standing without adding to it; null when it has made no request in this window. */
  read(id: string): Promise<Standing | null>;
}

export interface LocalAheadOptions {
  quota: number;
  /** How long a count may wait in this process before it is added to the shared count. */
  syncMs: number;
  /** Told of a failed background sync (a request's own failure reaches its caller instead). */
  onSyncError: (err: unknown) => void;
  /**
   * Share of the quota from which every request is counted in the shared store before it is
   * answered, so the last requests before a refusal are counted exactly across processes.
   */
  exactFrom?: number;
  /** Ids followed at once; past it, new ids are counted in the shared store directly. */
  maxTracked?: number;
  now?: () => number;
}

/** Quotas below this are counted exactly (the failed-authentication block, the strict routes). */
export const LOCAL_COUNTING_MIN_QUOTA = 100;

interface Tally {
  /** The shared count when last heard from the store. */
  known: number;
  /** Requests answered here and not yet added to the shared count. */
  pending: number;
  windowEndsAt: number;
}

/**
 * Counts in this process first and adds the counts to the shared store once per `syncMs`, so a
 * busy client costs one Redis call per sync rather than one per request (at 500 requests a second
 * those calls were a third of the API's CPU). Far from the quota a verdict uses the shared count
 * as last heard plus this process's own; from `exactFrom` of the quota every request is counted in
 * the store first. Across processes the shared count can lag by what the others answered in one
 * sync interval, which is why the exact zone starts well before the quota, and why quotas under
 * LOCAL_COUNTING_MIN_QUOTA are always counted exactly.
 */
export function countLocallyAhead(shared: SharedCounts, opts: LocalAheadOptions) {
  const now = opts.now ?? Date.now;
  const exactAt = Math.max(1, Math.floor(opts.quota * (opts.exactFrom ?? 0.8)));
  const maxTracked = opts.maxTracked ?? 50_000;
  const tallies = new Map<string, Tally>();
  let timer: NodeJS.Timeout | undefined;
  // A small quota is counted exactly: one sync interval of another process's requests could be most of it.
  const localCounting = opts.quota >= LOCAL_COUNTING_MIN_QUOTA;

  const live = (id: string): Tally | undefined => {
    const tally = tallies.get(id);
    if (tally && now() < tally.windowEndsAt) return tally;
    // A finished window's unsent counts belong to a window the store has already forgotten.
    if (tally) tallies.delete(id);
    return undefined;
  };

  const hear = (id: string, standing: Standing, pending: number): Tally => {
    const tally: Tally = { known: standing.consumed, pending, windowEndsAt: now() + standing.msBeforeNext };
    if (tallies.has(id) || tallies.size < maxTracked) tallies.set(id, tally);
    return tally;
  };

  const standingOf = (tally: Tally): Standing => ({ consumed: tally.known + tally.pending, msBeforeNext: Math.max(tally.windowEndsAt - now(), 0) });

  async function sync(): Promise<void> {
    timer = undefined;
    const batch = [...tallies].filter(([, t]) => t.pending > 0 && now() < t.windowEndsAt);
    await Promise.all(
      batch.map(async ([id, tally]) => {
        const points = tally.pending;
        tally.pending = 0;
        try {
          const standing = await shared.add(id, points);
          if (tallies.get(id) === tally) hear(id, standing, tally.pending);
        } catch (err) {
          // Kept for the next sync: a Redis blip must not forget requests already answered.
          if (tallies.get(id) === tally) tally.pending += points;
          opts.onSyncError(err);
        }
      }),
    );
    if ([...tallies.values()].some((t) => t.pending > 0)) arm();
  }

  function arm(): void {
    if (timer) return;
    timer = setTimeout(() => void sync(), opts.syncMs);
    timer.unref();
  }

  return {
    /** Counts one request for `id` and answers its standing (consumed past the quota: refuse). */
    async consume(id: string): Promise<Standing> {
      const tally = live(id);
      if (localCounting && tally && tally.known + tally.pending + 1 < exactAt) {
        tally.pending += 1;
        arm();
        return standingOf(tally);
      }
      // Unknown id, a new window, or close to the quota: count it (and what waits here) in the store now.
      const points = 1 + (tally?.pending ?? 0);
      if (tally) tally.pending = 0;
      try {
        const standing = await shared.add(id, points);
        // Requests answered here meanwhile stay to be sent.
        hear(id, standing, tallies.get(id)?.pending ?? 0);
        return standing;
      } catch (err) {
        if (tally && tallies.get(id) === tally) tally.pending += points - 1;
        throw err;
      }
    },

    /**
     * `id`'s standing, always read from the store (plus what waits here): the failed-authentication
     * block is peeked on every request and must see other processes' 401s at once.
     */
    async peek(id: string): Promise<Standing | null> {
      const standing = await shared.read(id);
      const tally = live(id);
      if (!standing) return tally ? standingOf(tally) : null;
      return { consumed: standing.consumed + (tally?.pending ?? 0), msBeforeNext: standing.msBeforeNext };
    },

    /** Adds every waiting count to the store now (tests; a clean shutdown). */
    flush: sync,
  };
}

/**
 * Read API request counters per channel. `maxConcurrent` is the evidence tests use to prove that
 * no channel is polled twice at the same time.
 */
export interface SimulatorStats {
  /** Read API requests per channel id as requested (unknown ids included). */
  requests: Record<string, number>;
  /** Highest number of simultaneous in-flight read requests seen per channel id. */
  maxConcurrent: Record<string, number>;
  totalRequests: number;
}

export function createRequestStats() {
  const requests = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const maxConcurrent = new Map<string, number>();
  let totalRequests = 0;

  return {
    /** Counts a request as started; call the returned function once it has ended, however it ended. */
    begin(channelKey: string): () => void {
      totalRequests += 1;
      requests.set(channelKey, (requests.get(channelKey) ?? 0) + 1);
      const now = (inFlight.get(channelKey) ?? 0) + 1;
      inFlight.set(channelKey, now);
      maxConcurrent.set(channelKey, Math.max(now, maxConcurrent.get(channelKey) ?? 0));
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inFlight.set(channelKey, (inFlight.get(channelKey) ?? 1) - 1);
      };
    },

    snapshot(): SimulatorStats {
      return {
        requests: Object.fromEntries(requests),
        maxConcurrent: Object.fromEntries(maxConcurrent),
        totalRequests,
      };
    },

    /** Requests still in flight keep being tracked; only the counters restart. */
    reset(): void {
      requests.clear();
      maxConcurrent.clear();
      totalRequests = 0;
    },
  };
}

export type RequestStats = ReturnType<typeof createRequestStats>;

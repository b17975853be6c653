/** How long a scrape waits for Redis before reporting without the values it could not read. */
export const SCRAPE_TIMEOUT_MS = 1_000;

/**
 * Wraps a read made at scrape time so that the metrics of one scrape share it (prom-client
 * collects every metric in parallel: two gauges fed by one Redis read issue it once) and so that
 * a dependency that does not answer ends the wait after `timeoutMs` instead of hanging the scrape.
 * The promise rejects on timeout; callers then report nothing rather than stale values.
 */
export function scrapeLoader<T>(read: () => Promise<T>, timeoutMs = SCRAPE_TIMEOUT_MS): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= withTimeout(read(), timeoutMs).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  // A read that settles after the timeout must not become an unhandled rejection.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` until it returns a truthy value or the deadline passes; the synchronisation
 * primitive for tests (no fixed sleeps). The failure message includes the last value seen.
 */
export async function waitFor<T>(check: () => Promise<T> | T, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last as T;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'} (last value: ${JSON.stringify(last)}${lastError ? `, last error: ${(lastError as Error).message}` : ''})`);
}

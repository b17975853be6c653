/**
 * Failures the simulator injects into read API requests, per channel or for every channel ('*').
 * - http500: HTTP 500 with an HTML body (what a failing gateway sends);
 * - minus1: HTTP 400 with body `-1` (ThingSpeak's answer to a missing or wrong read key);
 * - json401: HTTP 401 with `{"status":"401","error":{...}}` (the documented error object);
 * - http429: HTTP 429 with Retry-After (`retryAfterSeconds`, default 20);
 * - slow: waits `delayMs` (default 30 s) then answers normally, to trip client timeouts;
 * - reset: destroys the socket without answering;
 * - badJson: HTTP 200 with a body cut off mid-JSON;
 * - wrongShape: HTTP 200 with valid JSON that is not a feed.
 */
export type FaultKind = 'http500' | 'minus1' | 'json401' | 'http429' | 'slow' | 'reset' | 'badJson' | 'wrongShape';

export const FAULT_KINDS: readonly FaultKind[] = ['http500', 'minus1', 'json401', 'http429', 'slow', 'reset', 'badJson', 'wrongShape'];

export interface Fault {
  kind: FaultKind;
  /** How many requests fail before the fault clears itself; absent = until replaced or removed. */
  times?: number;
  delayMs?: number;
  retryAfterSeconds?: number;
}

export type FaultTarget = number | '*';

export function createFaultRegistry() {
  const faults = new Map<FaultTarget, Fault & { remaining: number }>();

  return {
    set(target: FaultTarget, fault: Fault | null): void {
      if (fault === null) faults.delete(target);
      else faults.set(target, { ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
    },

    /** The fault that applies to this request (channel-specific first), counting it as used. */
    take(channelId: number | null): Fault | null {
      const target: FaultTarget | undefined =
        channelId !== null && faults.has(channelId) ? channelId : faults.has('*') ? '*' : undefined;
      if (target === undefined) return null;
      const fault = faults.get(target)!;
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults.delete(target);
      const { remaining: _remaining, ...rest } = fault;
      return rest;
    },

    clearAll(): void {
      faults.clear();
    },
  };
}

export type FaultRegistry = ReturnType<typeof createFaultRegistry>;

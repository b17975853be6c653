import { ValidationError } from '../errors';
import { scrubSecrets, type Logger } from '../logger';
import { parseFeed, type Feed } from './feed';
import { ThingSpeakError } from './thingspeak-error';

// Callers catch and inspect the client's errors; they should not need to know where they live.
export { ThingSpeakError, type ThingSpeakErrorKind } from './thingspeak-error';

/** ThingSpeak's documented ceiling for `results`. */
export const THINGSPEAK_MAX_RESULTS = 8000;

export interface ThingSpeakClientOptions {
  /** e.g. https://api.thingspeak.com or the simulator's URL; a trailing slash is ignored. */
  baseUrl: string;
  /** Covers the whole exchange: connect, headers and body. */
  timeoutMs: number;
  log?: Logger;
}

export interface GetFeedOptions {
  /** Read (or write) API key of a private channel; omitted from the request when absent. */
  readKey?: string;
  /** Always explicit: without it ThingSpeak silently returns the newest 100 rows. 0..8000. */
  results: number;
  /** Inclusive, second resolution, UTC. */
  start?: Date;
  /** Inclusive, second resolution, UTC. */
  end?: Date;
}

export interface ThingSpeakClient {
  /**
   * Reads `/channels/{id}/feeds.json`. When more rows than `results` fall in [start, end] ThingSpeak
   * returns only the newest `results` of them: a full page means the window must be split.
   * Throws ThingSpeakError for every upstream failure.
   */
  getFeed(channelId: string | number, opts: GetFeedOptions): Promise<Feed>;
}

/** `YYYY-MM-DD HH:NN:SS` in UTC, the format ThingSpeak expects for start and end. */
export function formatThingSpeakTime(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new ValidationError('Cannot format an invalid Date for ThingSpeak');
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export function createThingSpeakClient(options: ThingSpeakClientOptions): ThingSpeakClient {
  // new URL throws here, at start-up, rather than on every poll.
  const baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '');
  const log = options.log;

  async function getFeed(channelIdInput: string | number, opts: GetFeedOptions): Promise<Feed> {
    const channelId = String(channelIdInput);
    if (!/^\d+$/.test(channelId)) throw new ValidationError(`ThingSpeak channel id must be digits, got "${channelId}"`);
    if (!Number.isInteger(opts.results) || opts.results < 0 || opts.results > THINGSPEAK_MAX_RESULTS) {
      throw new ValidationError(`ThingSpeak results must be an integer 0..${THINGSPEAK_MAX_RESULTS}, got ${opts.results}`);
    }

    const path = `/channels/${channelId}/feeds.json`;
    const query = buildQuery(opts);
    const startedAt = Date.now();
    const context = { channelId, results: opts.results, start: opts.start, end: opts.end, private: Boolean(opts.readKey) };

    try {
      const { status, headers, text } = await fetchText(`${baseUrl}${path}?${query}`, options.timeoutMs, channelId);
      const feed = interpret(channelId, status, headers, text);
      log?.debug({ ...context, status, entries: feed.entries.length, durationMs: Date.now() - startedAt }, 'thingspeak feed fetched');
      return feed;
    } catch (err) {
      const safe = withoutKey(err, opts.readKey);
      log?.debug({ ...context, err: safe, durationMs: Date.now() - startedAt }, 'thingspeak feed failed');
      throw safe;
    }
  }

  return { getFeed };
}

function buildQuery(opts: GetFeedOptions): string {
  // Built by hand: ThingSpeak documents "%20" between date and time, URLSearchParams would send "+".
  const parts = [`results=${opts.results}`];
  if (opts.start) parts.push(`start=${formatThingSpeakTime(opts.start).replace(' ', '%20')}`);
  if (opts.end) parts.push(`end=${formatThingSpeakTime(opts.end).replace(' ', '%20')}`);
  parts.push('timezone=UTC');
  if (opts.readKey !== undefined && opts.readKey !== '') parts.push(`api_key=${encodeURIComponent(opts.readKey)}`);
  return parts.join('&');
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

async function fetchText(url: string, timeoutMs: number, channelId: string): Promise<RawResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const res = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } });
    // The body is read under the same timer: a server that stalls mid-body is a timeout too.
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    if (timedOut) {
      throw new ThingSpeakError('timeout', `ThingSpeak channel ${channelId}: no answer within ${timeoutMs} ms`, { channelId });
    }
    const reason = networkReason(err);
    throw new ThingSpeakError('network', `ThingSpeak channel ${channelId}: unreachable (${reason})`, {
      channelId,
      cause: new Error(reason),
    });
  } finally {
    clearTimeout(timer);
  }
}

function interpret(channelId: string, status: number, headers: Headers, text: string): Feed {
  const body = parseJson(text);
  const at = { channelId, upstreamStatus: status };

  // A private channel read without / with a wrong key: HTTP 400 and the bare JSON number -1.
  if (body === -1 && status < 500) {
    throw new ThingSpeakError('access_denied', `ThingSpeak channel ${channelId}: read key missing or wrong (HTTP ${status}, body -1)`, at);
  }
  const apiError = asApiError(body);
  if (apiError) {
    const kind = kindOfApiError(apiError.status, status);
    const retryAfterMs = kind === 'rate_limited' ? parseRetryAfter(headers.get('retry-after')) : undefined;
    throw new ThingSpeakError(kind, `ThingSpeak channel ${channelId}: ${apiError.code} (status ${apiError.status}, HTTP ${status})`, {
      ...at,
      retryAfterMs,
    });
  }
  if (status === 404) throw new ThingSpeakError('not_found', `ThingSpeak channel ${channelId}: not found (HTTP 404)`, at);
  if (status === 401 || status === 403) {
    throw new ThingSpeakError('access_denied', `ThingSpeak channel ${channelId}: access denied (HTTP ${status})`, at);
  }
  if (status === 429) {
    throw new ThingSpeakError('rate_limited', `ThingSpeak channel ${channelId}: rate limited (HTTP 429)`, {
      ...at,
      retryAfterMs: parseRetryAfter(headers.get('retry-after')),
    });
  }
  if (status >= 500) {
    throw new ThingSpeakError('server_error', `ThingSpeak channel ${channelId}: server error (HTTP ${status})`, {
      ...at,
      retryAfterMs: parseRetryAfter(headers.get('retry-after')),
    });
  }
  if (status < 200 || status >= 300) {
    throw new ThingSpeakError('bad_response', `ThingSpeak channel ${channelId}: unexpected HTTP ${status}`, at);
  }
  if (body === undefined) {
    throw new ThingSpeakError('bad_response', `ThingSpeak channel ${channelId}: body is not JSON (HTTP ${status}, ${text.length} bytes)`, at);
  }
  try {
    return parseFeed(body);
  } catch (err) {
    if (err instanceof ThingSpeakError) {
      throw new ThingSpeakError('bad_response', `ThingSpeak channel ${channelId}: ${err.message}`, at);
    }
    throw err;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The documented error shape: `{"status":"401","error":{"error_code":"error_auth_required",...}}`. */
function asApiError(body: unknown): { status: number; code: string } | null {
  if (typeof body !== 'object' || body === null || !('error' in body) || !('status' in body)) return null;
  const { status, error } = body as { status: unknown; error: unknown };
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { error_code?: unknown }).error_code;
  return { status: Number(status), code: typeof code === 'string' ? code.slice(0, 80) : 'error' };
}

function kindOfApiError(bodyStatus: number, httpStatus: number): ThingSpeakError['upstreamKind'] {
  const status = Number.isInteger(bodyStatus) ? bodyStatus : httpStatus;
  if (status === 401 || status === 403) return 'access_denied';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'bad_response';
}

/** Retry-After is delta-seconds or an HTTP date; anything else is ignored. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

// fetch wraps the socket error ("connect ECONNREFUSED 127.0.0.1:3100") in a generic TypeError.
// Duck-typed rather than instanceof: fetch's errors may come from another realm (jest, vm).
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return scrubSecrets(cause.message).slice(0, 200);
  return scrubSecrets(messageOf(err)).slice(0, 200);
}

function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/**
 * Last line of defence: errors thrown below are built without the URL, but a message from fetch or
 * a stack could still quote it. Anything that is not a ThingSpeakError is rewrapped.
 */
function withoutKey(err: unknown, readKey: string | undefined): ThingSpeakError {
  const clean = (text: string) => {
    const scrubbed = scrubSecrets(text);
    return readKey ? scrubbed.split(readKey).join('****') : scrubbed;
  };
  if (err instanceof ThingSpeakError) {
    err.message = clean(err.message);
    if (err.stack) err.stack = clean(err.stack);
    return err;
  }
  return new ThingSpeakError('bad_response', clean(`ThingSpeak read failed unexpectedly: ${messageOf(err)}`));
}

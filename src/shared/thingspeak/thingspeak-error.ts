import { UpstreamError } from '../errors';

/**
 * Why a ThingSpeak read failed. Workers decide on retries and node status from this, never from
 * the message text.
 * - access_denied: private channel read without a key or with a wrong one (HTTP 400 body `-1`, or a
 *   `{"status":"401"|"403","error":{...}}` object);
 * - not_found: the channel does not exist;
 * - rate_limited: HTTP 429 (`retryAfterMs` from Retry-After when given);
 * - server_error: HTTP 5xx;
 * - timeout: no complete answer within the client's timeoutMs;
 * - network: DNS failure, connection refused or reset;
 * - bad_response: not JSON, or JSON that is not a feed.
 */
export type ThingSpeakErrorKind =
  | 'access_denied'
  | 'not_found'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'bad_response';

/** Stable error codes (part of the job-failure and API contract). */
export const THINGSPEAK_ERROR_CODES = {
  access_denied: 'THINGSPEAK_ACCESS_DENIED',
  not_found: 'THINGSPEAK_NOT_FOUND',
  rate_limited: 'THINGSPEAK_RATE_LIMITED',
  server_error: 'THINGSPEAK_SERVER_ERROR',
  timeout: 'THINGSPEAK_TIMEOUT',
  network: 'THINGSPEAK_UNREACHABLE',
  bad_response: 'THINGSPEAK_BAD_RESPONSE',
} as const satisfies Record<ThingSpeakErrorKind, string>;

/**
 * Every failure of a ThingSpeak read. Messages never carry the request URL (its query holds the
 * read key); the channel id and HTTP status are kept as fields instead.
 */
export class ThingSpeakError extends UpstreamError {
  declare readonly upstreamKind: ThingSpeakErrorKind;
  readonly channelId?: string;
  /** HTTP status ThingSpeak answered with, when it answered at all. */
  readonly upstreamStatus?: number;

  constructor(
    upstreamKind: ThingSpeakErrorKind,
    message: string,
    opts: { channelId?: string; upstreamStatus?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, {
      code: THINGSPEAK_ERROR_CODES[upstreamKind],
      upstreamKind,
      retryAfterMs: opts.retryAfterMs,
      cause: opts.cause,
    });
    this.channelId = opts.channelId;
    this.upstreamStatus = opts.upstreamStatus;
  }
}

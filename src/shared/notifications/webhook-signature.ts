import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a receiver knows a webhook came from us, and came recently (after Stripe's scheme):
 * `X-Evara-Signature: t=<unix seconds>,v1=<hex>` where v1 is the HMAC-SHA256, keyed with the
 * subscription's secret, of `<t>.<raw body bytes>`. Signing the timestamp is what lets a
 * receiver refuse a captured delivery replayed later: changing `t` breaks the signature.
 * The body never changes between attempts but `t` does, so each attempt has its own signature;
 * the delivery id header (the notification id) lets the receiver drop one already processed.
 * X-Evara-Timestamp repeats `t` for receivers that log it.
 */
export const WEBHOOK_HEADERS = {
  signature: 'X-Evara-Signature',
  timestamp: 'X-Evara-Timestamp',
  delivery: 'X-Evara-Delivery',
  event: 'X-Evara-Event',
} as const;

/** What receivers should accept by default: five minutes either way of their clock. */
export const DEFAULT_TOLERANCE_S = 300;

/** Hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function signPayload(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The X-Evara-Signature value for a body sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, body: string | Buffer, timestamp: number): string {
  const t = String(timestamp);
  return `t=${t},v1=${signPayload(secret, t, body)}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'outside tolerance' | 'mismatch' };

/**
 * A receiver's check of X-Evara-Signature against the raw body: the timestamp must be within
 * `toleranceS` of `now`, and one v1 must equal the HMAC of `<t>.<body>` (constant-time compare).
 * The README's receiver snippet is this logic; a unit test runs both.
 */
export function verifyWebhookSignature(
  header: string | undefined,
  body: string | Buffer,
  secret: string,
  opts: { toleranceS?: number; now?: Date } = {},
): SignatureCheck {
  const parts = (header ?? '').split(',').map((kv) => kv.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => Buffer.from(v!, 'hex'));
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const nowS = (opts.now ?? new Date()).getTime() / 1000;
  if (Math.abs(nowS - Number(t)) > (opts.toleranceS ?? DEFAULT_TOLERANCE_S)) return { ok: false, reason: 'outside tolerance' };
  const expected = Buffer.from(signPayload(secret, t, body), 'hex');
  return signatures.some((given) => timingSafeEqual(given, expected)) ? { ok: true, timestamp: Number(t) } : { ok: false, reason: 'mismatch' };
}

/** The headers of one delivery attempt, signed at the attempt's send time. */
export function signedHeaders(opts: { secret: string; body: string; deliveryId: string; event: string; now?: Date }): Record<string, string> {
  const timestamp = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Evara-Webhooks/1',
    [WEBHOOK_HEADERS.signature]: signatureHeader(opts.secret, opts.body, timestamp),
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.delivery]: opts.deliveryId,
    [WEBHOOK_HEADERS.event]: opts.event,
  };
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a receiver knows a webhook came from us: `X-Evara-Signature: sha256=<hex>` is the
 * HMAC-SHA256 of the raw body bytes keyed with the subscription's secret. The body of a
 * notification never changes between attempts, so neither does its signature; the delivery id
 * header (the notification id) lets the receiver drop a delivery it has already processed.
 */
export const WEBHOOK_HEADERS = {
  signature: 'X-Evara-Signature',
  timestamp: 'X-Evara-Timestamp',
  delivery: 'X-Evara-Delivery',
  event: 'X-Evara-Event',
} as const;

const PREFIX = 'sha256=';

export function signBody(secret: string, body: string | Buffer): string {
  return PREFIX + createHmac('sha256', secret).update(body).digest('hex');
}

/** Constant-time check of a signature header against the raw body (for receivers and tests). */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (!header?.startsWith(PREFIX)) return false;
  const expected = Buffer.from(signBody(secret, body), 'utf8');
  const given = Buffer.from(header, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The headers of one delivery attempt; the timestamp (unix seconds) is the attempt's send time. */
export function signedHeaders(opts: { secret: string; body: string; deliveryId: string; event: string; now?: Date }): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Evara-Webhooks/1',
    [WEBHOOK_HEADERS.signature]: signBody(opts.secret, opts.body),
    [WEBHOOK_HEADERS.timestamp]: String(Math.floor((opts.now ?? new Date()).getTime() / 1000)),
    [WEBHOOK_HEADERS.delivery]: opts.deliveryId,
    [WEBHOOK_HEADERS.event]: opts.event,
  };
}

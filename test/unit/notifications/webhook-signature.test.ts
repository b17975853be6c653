import { createHmac } from 'node:crypto';
import { signatureHeader, signedHeaders, signPayload, verifyWebhookSignature, WEBHOOK_HEADERS } from '../../../src/shared/notifications/webhook-signature';

const SECRET = 'right-secret-0123456789';
const BODY = '{"id":"n1","event":"alert.opened"}';
const T = 1_767_323_045; // 2026-01-02T03:04:05Z
const at = (unixS: number) => new Date(unixS * 1000);

/**
 * The receiver snippet of the README ("Verifying deliveries"), verbatim. It is run below against
 * a request signed by the sender, so the documentation cannot drift from the scheme.
 */
const README_RECEIVER_SNIPPET = `
const { createHmac, timingSafeEqual } = require('node:crypto');

// header: req.headers['x-evara-signature']; rawBody: the body bytes exactly as received (a Buffer)
function verifyEvaraSignature(header, rawBody, secret, toleranceS = 300) {
  const fields = Object.fromEntries(String(header).split(',').map((kv) => kv.trim().split('=')));
  if (!/^\\d+$/.test(fields.t ?? '') || !/^[0-9a-f]{64}$/.test(fields.v1 ?? '')) return false;
  if (Math.abs(Date.now() / 1000 - Number(fields.t)) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(\`\${fields.t}.\`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(fields.v1, 'hex'));
}
`;
type ReceiverVerify = (header: string | undefined, rawBody: Buffer, secret: string, toleranceS?: number) => boolean;
// Plain JavaScript, as a receiver would paste it: run as such, not compiled as TypeScript.
const readmeVerify = new Function('require', `${README_RECEIVER_SNIPPET}\nreturn verifyEvaraSignature;`)(require) as ReceiverVerify;

describe('webhook signature', () => {
  test('when a payload is signed, then v1 is the hex HMAC-SHA256 of "<t>.<raw body bytes>"', () => {
    const expected = createHmac('sha256', SECRET).update(Buffer.from(`${T}.${BODY}`, 'utf8')).digest('hex');
    expect(signPayload(SECRET, String(T), BODY)).toBe(expected);
    expect(signatureHeader(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
  });

  test('when bytes are not ASCII, then the signature covers the UTF-8 bytes, the same as a Buffer of them', () => {
    const body = '{"title":"Réservoir bas ≤ 20 %"}';
    expect(signPayload(SECRET, String(T), body)).toBe(signPayload(SECRET, String(T), Buffer.from(body, 'utf8')));
  });

  test('when headers are built, then the signature covers the timestamp header and no secret is in them', () => {
    const headers = signedHeaders({ secret: SECRET, body: '{}', deliveryId: 'n-42', event: 'alert.resolved', now: new Date('2026-01-02T03:04:05.678Z') });
    expect(headers).toMatchObject({
      'Content-Type': 'application/json',
      [WEBHOOK_HEADERS.signature]: signatureHeader(SECRET, '{}', T),
      [WEBHOOK_HEADERS.timestamp]: String(T),
      [WEBHOOK_HEADERS.delivery]: 'n-42',
      [WEBHOOK_HEADERS.event]: 'alert.resolved',
    });
    expect(JSON.stringify(headers)).not.toContain(SECRET);
  });

  describe('verifyWebhookSignature', () => {
    const header = signatureHeader(SECRET, BODY, T);

    test('when the secret, body and timestamp are right and the clock is within tolerance, then it verifies', () => {
      expect(verifyWebhookSignature(header, BODY, SECRET, { now: at(T + 299) })).toEqual({ ok: true, timestamp: T });
      expect(verifyWebhookSignature(header, Buffer.from(BODY), SECRET, { now: at(T - 299) })).toEqual({ ok: true, timestamp: T });
    });

    test('when a captured delivery is replayed after the tolerance, then it is refused, even with its valid signature', () => {
      expect(verifyWebhookSignature(header, BODY, SECRET, { now: at(T + 301) })).toEqual({ ok: false, reason: 'outside tolerance' });
      expect(verifyWebhookSignature(header, BODY, SECRET, { now: at(T + 3600), toleranceS: 7200 }).ok).toBe(true);
    });

    test('when the replayer moves the timestamp forward, then the signature no longer matches', () => {
      const v1 = header.split('v1=')[1];
      expect(verifyWebhookSignature(`t=${T + 600},v1=${v1}`, BODY, SECRET, { now: at(T + 600) })).toEqual({ ok: false, reason: 'mismatch' });
    });

    test.each([
      ['the wrong secret', header, BODY, 'wrong-secret-0123456789', 'mismatch'],
      ['a changed body', header, `${BODY} `, SECRET, 'mismatch'],
      ['no header', undefined, BODY, SECRET, 'malformed'],
      ['the old sha256= format', `sha256=${'a'.repeat(64)}`, BODY, SECRET, 'malformed'],
      ['no timestamp', `v1=${'a'.repeat(64)}`, BODY, SECRET, 'malformed'],
      ['a truncated v1', header.slice(0, -2), BODY, SECRET, 'malformed'],
    ])('when the request has %s, then it is refused', (_what, h, body, secret, reason) => {
      expect(verifyWebhookSignature(h, body, secret, { now: at(T) })).toEqual({ ok: false, reason });
    });

    test('when several v1 values are given (a receiver rotating secrets), then any one matching verifies', () => {
      const other = signatureHeader('other-secret-0123456789', BODY, T).split(',')[1];
      expect(verifyWebhookSignature(`t=${T},${other},v1=${header.split('v1=')[1]}`, BODY, SECRET, { now: at(T) }).ok).toBe(true);
    });
  });

  describe("the README's receiver snippet", () => {
    test('when it checks a request signed by the sender now, then it accepts it, and refuses a changed body or secret', () => {
      const headers = signedHeaders({ secret: SECRET, body: BODY, deliveryId: 'n-1', event: 'alert.opened' });
      const sig = headers[WEBHOOK_HEADERS.signature];
      expect(readmeVerify(sig, Buffer.from(BODY), SECRET)).toBe(true);
      expect(readmeVerify(sig, Buffer.from(`${BODY} `), SECRET)).toBe(false);
      expect(readmeVerify(sig, Buffer.from(BODY), 'wrong-secret-0123456789')).toBe(false);
      expect(readmeVerify(undefined, Buffer.from(BODY), SECRET)).toBe(false);
    });

    test('when the request was signed six minutes ago, then it refuses it as verifyWebhookSignature does', () => {
      const sixMinutesAgo = new Date(Date.now() - 360_000);
      const sig = signedHeaders({ secret: SECRET, body: BODY, deliveryId: 'n-1', event: 'alert.opened', now: sixMinutesAgo })[WEBHOOK_HEADERS.signature];
      expect(readmeVerify(sig, Buffer.from(BODY), SECRET)).toBe(false);
      expect(verifyWebhookSignature(sig, BODY, SECRET).ok).toBe(false);
      expect(readmeVerify(sig, Buffer.from(BODY), SECRET, 600)).toBe(true);
    });
  });
});

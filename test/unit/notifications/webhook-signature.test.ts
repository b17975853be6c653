import { createHmac } from 'node:crypto';
import { signBody, signedHeaders, verifySignature, WEBHOOK_HEADERS } from '../../../src/shared/notifications/webhook-signature';

describe('webhook signature', () => {
  test('when a body is signed, then it is sha256= and the hex HMAC-SHA256 of the raw bytes (known vector)', () => {
    // The HMAC-SHA256 example from Wikipedia's HMAC page.
    expect(signBody('key', 'The quick brown fox jumps over the lazy dog')).toBe('sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });

  test('when bytes are not ASCII, then the signature covers the UTF-8 bytes, the same as a Buffer of them', () => {
    const body = '{"title":"Réservoir bas ≤ 20 %"}';
    expect(signBody('s3cret-s3cret-s3cret', body)).toBe(signBody('s3cret-s3cret-s3cret', Buffer.from(body, 'utf8')));
    expect(signBody('s3cret-s3cret-s3cret', body)).toBe(`sha256=${createHmac('sha256', 's3cret-s3cret-s3cret').update(Buffer.from(body, 'utf8')).digest('hex')}`);
  });

  test('when a signature is checked, then only the right secret and the untouched body verify', () => {
    const body = '{"id":"n1","event":"alert.opened"}';
    const header = signBody('right-secret-0123456789', body);
    expect(verifySignature('right-secret-0123456789', body, header)).toBe(true);
    expect(verifySignature('wrong-secret-0123456789', body, header)).toBe(false);
    expect(verifySignature('right-secret-0123456789', `${body} `, header)).toBe(false);
    expect(verifySignature('right-secret-0123456789', body, header.replace('sha256=', ''))).toBe(false);
    expect(verifySignature('right-secret-0123456789', body, `${header}00`)).toBe(false);
    expect(verifySignature('right-secret-0123456789', body, undefined)).toBe(false);
  });

  test('when headers are built, then they carry signature, unix-seconds timestamp, delivery id and event', () => {
    const headers = signedHeaders({ secret: 'right-secret-0123456789', body: '{}', deliveryId: 'n-42', event: 'alert.resolved', now: new Date('2026-01-02T03:04:05.678Z') });
    expect(headers).toMatchObject({
      'Content-Type': 'application/json',
      [WEBHOOK_HEADERS.signature]: signBody('right-secret-0123456789', '{}'),
      [WEBHOOK_HEADERS.timestamp]: String(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000),
      [WEBHOOK_HEADERS.delivery]: 'n-42',
      [WEBHOOK_HEADERS.event]: 'alert.resolved',
    });
    expect(JSON.stringify(headers)).not.toContain('right-secret');
  });
});

import { judgeDelivery, publicDeliveryError } from '../../../src/shared/notifications/delivery-outcome';
import type { ConnectionErrorClass } from '../../../src/shared/notifications/send-failure';

/** Anything that would describe our network to a tenant: an IPv4/IPv6 address or a port. */
const ADDRESS_OR_PORT = /\d+\.\d+\.\d+\.\d+|\[?[0-9a-f]*::[0-9a-f:]*\]?|:\d{2,5}\b/i;

describe('delivery outcome', () => {
  test.each([
    [200, 'delivered', null],
    [204, 'delivered', null],
    [500, 'retry', 'http_5xx'],
    [502, 'retry', 'http_5xx'],
    [503, 'retry', 'http_5xx'],
    [408, 'retry', 'http_4xx'],
    [429, 'retry', 'http_4xx'],
    [400, 'permanent', 'http_4xx'],
    [401, 'permanent', 'http_4xx'],
    [404, 'permanent', 'http_4xx'],
    [410, 'permanent', 'http_4xx'],
    [304, 'permanent', 'http_3xx'],
  ])('when the receiver answers %i, then the verdict is %s with class %s', (status, verdict, errorClass) => {
    const outcome = judgeDelivery({ kind: 'response', status });
    expect(outcome).toMatchObject({ verdict, statusCode: status, errorClass });
    expect(outcome.error).toBe(errorClass === null ? null : `${errorClass}: receiver answered HTTP ${status}`);
  });

  test('when the attempt times out, then it is retried with no status code', () => {
    expect(judgeDelivery({ kind: 'timeout', timeoutMs: 10_000 })).toEqual({ verdict: 'retry', statusCode: null, errorClass: 'timeout', error: 'timeout: no answer within 10000 ms' });
  });

  test.each<[ConnectionErrorClass, 'retry' | 'permanent']>([
    ['blocked_address', 'permanent'],
    ['dns', 'retry'],
    ['timeout', 'retry'],
    ['tls', 'retry'],
    ['connection_refused', 'retry'],
    ['connection_reset', 'retry'],
    ['unreachable', 'retry'],
    ['network', 'retry'],
  ])('when the connection failed with %s, then the verdict is %s and the tenant sees the class, never the detail', (errorClass, verdict) => {
    const detail = 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:5432';
    const outcome = judgeDelivery({ kind: 'failed', errorClass, detail });
    expect(outcome).toMatchObject({ verdict, statusCode: null, errorClass, detail });
    expect(outcome.error).toMatch(new RegExp(`^${errorClass}: `));
    expect(outcome.error).not.toMatch(ADDRESS_OR_PORT);
  });

  test('when the TLS handshake failed, then the certificate error code is shown: it describes the receiver, not our network', () => {
    expect(judgeDelivery({ kind: 'failed', errorClass: 'tls', code: 'CERT_HAS_EXPIRED', detail: 'x' }).error).toBe('tls: the TLS handshake with the receiver failed (CERT_HAS_EXPIRED)');
  });

  test('when a redirect was refused, then it fails for good with the reason and the target only in the detail', () => {
    const outcome = judgeDelivery({ kind: 'redirect-refused', status: 307, errorClass: 'redirect_refused', reason: 'redirected to another origin; webhooks only follow redirects within the subscribed origin', detail: 'redirected to http://10.0.0.5:8080' });
    expect(outcome).toEqual({
      verdict: 'permanent',
      statusCode: 307,
      errorClass: 'redirect_refused',
      error: 'redirect_refused: redirected to another origin; webhooks only follow redirects within the subscribed origin',
      detail: 'redirected to http://10.0.0.5:8080',
    });
  });

  describe('the delivery log shown to tenants', () => {
    test.each([
      [null, null],
      ['http_4xx: receiver answered HTTP 404', 'http_4xx: receiver answered HTTP 404'],
      ['not sent: the subscription is inactive', 'not sent: the subscription is inactive'],
      // Rows written before errors were classed.
      ['receiver answered HTTP 503', 'http_5xx: receiver answered HTTP 503'],
      ['no answer within 10000 ms', 'timeout: no answer within 10000 ms'],
      ['could not reach the receiver: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:3799', 'network: the receiver could not be reached'],
      ['redirected to another origin (http://10.0.0.5:80); webhooks only follow redirects within the subscribed origin', 'redirect_refused: the receiver redirected where webhooks do not follow'],
    ])('when the stored error is %j, then the tenant sees %j', (stored, shown) => {
      expect(publicDeliveryError(stored)).toBe(shown);
    });
  });
});

import type { SendResult } from './webhook-sender';
import { DELIVERY_ERROR_CLASSES, type ConnectionErrorClass, type DeliveryErrorClass } from './send-failure';

/**
 * The retry policy of webhook deliveries, as one pure function. Worth retrying: the receiver is
 * down or overloaded (5xx, 408, 429), too slow, or unreachable. Not worth retrying: it answered
 * that it will never accept this delivery (any other 4xx), it redirects somewhere we do not
 * send, or its address is one deliveries may never reach.
 *
 * `error` is what the delivery log shows the tenant: `<class>: <sentence>`, never an address,
 * port or system message. `detail` is for operators' logs.
 */
export type DeliveryOutcome =
  | { verdict: 'delivered'; statusCode: number; errorClass: null; error: null; detail?: undefined }
  | { verdict: 'retry' | 'permanent'; statusCode: number | null; errorClass: DeliveryErrorClass; error: string; detail?: string };

const RETRYABLE_STATUSES = new Set([408, 429]);

const CONNECTION_SENTENCES: Record<ConnectionErrorClass, string> = {
  blocked_address: "the receiver's host resolves to an address that is not public; webhooks may only reach public addresses",
  dns: "the receiver's host name could not be resolved",
  timeout: 'the receiver could not be reached in time',
  tls: 'the TLS handshake with the receiver failed',
  connection_refused: 'the receiver refused the connection',
  connection_reset: 'the connection to the receiver was closed before it answered',
  unreachable: 'there is no route to the receiver',
  network: 'the receiver could not be reached',
};

const statusClass = (status: number): DeliveryErrorClass => (status < 400 ? 'http_3xx' : status < 500 ? 'http_4xx' : 'http_5xx');

export function judgeDelivery(result: SendResult): DeliveryOutcome {
  switch (result.kind) {
    case 'response': {
      const { status } = result;
      if (status >= 200 && status < 300) return { verdict: 'delivered', statusCode: status, errorClass: null, error: null };
      const retry = status >= 500 || RETRYABLE_STATUSES.has(status);
      const errorClass = statusClass(status);
      return { verdict: retry ? 'retry' : 'permanent', statusCode: status, errorClass, error: `${errorClass}: receiver answered HTTP ${status}` };
    }
    case 'timeout':
      return { verdict: 'retry', statusCode: null, errorClass: 'timeout', error: `timeout: no answer within ${result.timeoutMs} ms` };
    case 'failed': {
      // A TLS error code (CERT_HAS_EXPIRED) describes the receiver's certificate, not our network.
      const tlsCode = result.errorClass === 'tls' && result.code && /^[A-Z0-9_]+$/.test(result.code) ? ` (${result.code})` : '';
      // A blocked address stays blocked: retrying would only knock on the same door again.
      const verdict = result.errorClass === 'blocked_address' ? 'permanent' : 'retry';
      return { verdict, statusCode: null, errorClass: result.errorClass, error: `${result.errorClass}: ${CONNECTION_SENTENCES[result.errorClass]}${tlsCode}`, detail: result.detail };
    }
    case 'redirect-refused':
      return { verdict: 'permanent', statusCode: result.status, errorClass: result.errorClass, error: `${result.errorClass}: ${result.reason}`, detail: result.detail };
  }
}

const CLASS_PREFIX = new RegExp(`^(${DELIVERY_ERROR_CLASSES.join('|')}): `);

/**
 * The stored error as the delivery log may show it. Rows written before errors were classed
 * could carry an address and port ("ECONNREFUSED 10.0.0.5:5432"): those show as `network`.
 */
export function publicDeliveryError(stored: string | null): string | null {
  if (stored === null || CLASS_PREFIX.test(stored) || stored.startsWith('not sent: ')) return stored;
  const http = /^receiver answered HTTP (\d{3})$/.exec(stored);
  if (http) return `${statusClass(Number(http[1]))}: ${stored}`;
  if (stored.startsWith('no answer within ')) return `timeout: ${stored}`;
  if (/^(redirected |more than \d+ redirects)/.test(stored)) return 'redirect_refused: the receiver redirected where webhooks do not follow';
  return `network: ${CONNECTION_SENTENCES.network}`;
}

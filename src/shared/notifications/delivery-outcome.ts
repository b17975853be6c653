import type { SendResult } from './webhook-sender';

/**
 * The retry policy of webhook deliveries, as one pure function. Worth retrying: the receiver is
 * down or overloaded (5xx, 408, 429), too slow, or unreachable. Not worth retrying: it answered
 * that it will never accept this delivery (any other 4xx), or it redirects somewhere we do not send.
 */
export type DeliveryOutcome =
  | { verdict: 'delivered'; statusCode: number; error: null }
  | { verdict: 'retry' | 'permanent'; statusCode: number | null; error: string };

const RETRYABLE_STATUSES = new Set([408, 429]);

export function judgeDelivery(result: SendResult): DeliveryOutcome {
  switch (result.kind) {
    case 'response': {
      const { status } = result;
      if (status >= 200 && status < 300) return { verdict: 'delivered', statusCode: status, error: null };
      const retry = status >= 500 || RETRYABLE_STATUSES.has(status);
      return { verdict: retry ? 'retry' : 'permanent', statusCode: status, error: `receiver answered HTTP ${status}` };
    }
    case 'timeout':
      return { verdict: 'retry', statusCode: null, error: `no answer within ${result.timeoutMs} ms` };
    case 'network':
      return { verdict: 'retry', statusCode: null, error: `could not reach the receiver: ${result.message}` };
    case 'redirect-refused':
      return { verdict: 'permanent', statusCode: result.status, error: result.reason };
  }
}

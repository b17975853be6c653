import { judgeDelivery } from '../../../src/shared/notifications/delivery-outcome';

describe('delivery outcome', () => {
  test.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [408, 'retry'],
    [429, 'retry'],
    [400, 'permanent'],
    [401, 'permanent'],
    [404, 'permanent'],
    [410, 'permanent'],
    [304, 'permanent'],
  ])('when the receiver answers %i, then the verdict is %s', (status, verdict) => {
    const outcome = judgeDelivery({ kind: 'response', status });
    expect(outcome.verdict).toBe(verdict);
    expect(outcome.statusCode).toBe(status);
    expect(outcome.error).toBe(verdict === 'delivered' ? null : `receiver answered HTTP ${status}`);
  });

  test('when the attempt times out or cannot connect, then it is retried with no status code', () => {
    expect(judgeDelivery({ kind: 'timeout', timeoutMs: 10_000 })).toEqual({ verdict: 'retry', statusCode: null, error: 'no answer within 10000 ms' });
    expect(judgeDelivery({ kind: 'network', message: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9' })).toEqual({
      verdict: 'retry',
      statusCode: null,
      error: 'could not reach the receiver: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
    });
  });

  test('when a redirect was refused, then it fails for good with the reason', () => {
    expect(judgeDelivery({ kind: 'redirect-refused', status: 307, reason: 'redirected to another origin (https://evil.example)' })).toEqual({
      verdict: 'permanent',
      statusCode: 307,
      error: 'redirected to another origin (https://evil.example)',
    });
  });
});

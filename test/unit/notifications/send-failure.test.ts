import { BlockedAddressError } from '../../../src/shared/net/blocked-address-error';
import { classifySendError } from '../../../src/shared/notifications/send-failure';

const sysErr = (code: string, message = `${code} somewhere`) => Object.assign(new Error(message), { code });

describe('send failure classes', () => {
  test.each([
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'connection_refused'],
    ['ECONNRESET', 'connection_reset'],
    ['UND_ERR_SOCKET', 'connection_reset'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['EWHATEVER', 'network'],
  ])('when the error code is %s, then the class is %s', (code, errorClass) => {
    expect(classifySendError(sysErr(code)).errorClass).toBe(errorClass);
  });

  test('when the cause is wrapped (fetch TypeError, happy-eyeballs AggregateError), then the inner code decides', () => {
    const aggregate = Object.assign(new AggregateError([sysErr('ECONNREFUSED', 'connect ECONNREFUSED ::1:3799'), sysErr('ECONNREFUSED')]), { code: undefined });
    expect(classifySendError(new TypeError('fetch failed', { cause: aggregate }))).toMatchObject({ errorClass: 'connection_refused', code: 'ECONNREFUSED' });
  });

  test('when the address policy refused, then the class is blocked_address and the address is only in the operator detail', () => {
    const err = new BlockedAddressError('internal.example', { allowed: false, address: '10.0.0.5', range: 'private' });
    const failure = classifySendError(err);
    expect(failure.errorClass).toBe('blocked_address');
    expect(failure.detail).toContain('10.0.0.5');
  });

  test('when the detail carries a secret, then it is scrubbed', () => {
    expect(classifySendError(sysErr('ECONNREFUSED', 'connect to postgres://u:hunter2hunter2@db:5432 failed')).detail).not.toContain('hunter2');
  });
});

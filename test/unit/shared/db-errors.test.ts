import { constraintViolation, isDatabaseUnavailable, isPoolWaitTimeout } from '../../../src/shared/db/db-errors';

describe('isDatabaseUnavailable', () => {
  test.each([
    [{ code: 'ECONNREFUSED' }],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '53300' }],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout expired')],
    [new Error('Knex: Timeout acquiring a connection. The pool is probably full.')],
    [Object.assign(new Error('wrapped'), { cause: { code: 'ETIMEDOUT' } })],
  ])('when the error is %o, then the database counts as unavailable', (err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  test.each([[{ code: '42601', message: 'syntax error' }], [{ code: '23505' }], [new Error('something else')]])(
    'when the error is %o (a bug or bad data), then it does not count',
    (err) => {
      expect(isDatabaseUnavailable(err)).toBe(false);
    },
  );

  test('when a unique constraint fails, then it is recognised as a constraint violation', () => {
    expect(constraintViolation({ code: '23505', constraint: 'x' })).toEqual({ code: '23505', constraint: 'x' });
  });
});

describe('isPoolWaitTimeout', () => {
  test('when knex gave up waiting for a pooled connection, then it is a pool-wait timeout (still unavailable until shown busy)', () => {
    const err = Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'), { name: 'KnexTimeoutError' });
    expect(isPoolWaitTimeout(err)).toBe(true);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  test('when the connection was refused or a query failed, then it is not a pool-wait timeout', () => {
    expect(isPoolWaitTimeout({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' })).toBe(false);
    expect(isPoolWaitTimeout(new Error('canceling statement due to statement timeout'))).toBe(false);
    expect(isPoolWaitTimeout(undefined)).toBe(false);
  });
});

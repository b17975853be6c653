import { constraintViolation, isDatabaseUnavailable } from '../../../src/shared/db/db-errors';

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

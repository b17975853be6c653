import { createPoolPressure } from '../../../src/shared/db/pool-pressure';
import { createTestCore, type TestCore } from '../../helpers/test-core';

/** The reserved connection that tells a busy pool from a dead database, against the real test database. */
describe('pool pressure', () => {
  let core: TestCore;
  beforeAll(() => {
    core = createTestCore({}, 'worker');
  });
  afterAll(async () => {
    await core.close();
  });

  const poolTimeout = new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?');

  test('when the server answers on the reserved connection, then a pool-wait timeout is busy; after close it is unavailable and nothing is opened', async () => {
    const pressure = createPoolPressure(core.db, { connectionString: core.config.db.connectionString, ssl: core.config.db.ssl }, 'evara-test', {
      recentSuccessMs: 0,
      probeTimeoutMs: 2_000,
      probeCacheMs: 0,
    });
    expect(await pressure.serverAnswers()).toBe(true);
    expect(await pressure.classify(poolTimeout)).toBe('busy');
    expect(await pressure.classify(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe('unavailable');

    await pressure.close();
    // A job that outlives its worker's shutdown must not open a connection (nor load a driver) again.
    expect(await pressure.serverAnswers()).toBe(false);
    expect(await pressure.classify(poolTimeout)).toBe('unavailable');
  });
});

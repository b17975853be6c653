import { createBatchedLocks } from '../../../src/shared/locks/batched-redis-locks';
import { tryLock } from '../../../src/shared/locks/redis-lock';
import { createTestCore, type TestCore } from '../../helpers/test-core';

describe('batched Redis locks', () => {
  let core: TestCore;

  beforeAll(() => {
    core = createTestCore();
  });

  afterAll(async () => {
    await core.close();
  });

  test('when many polls ask for locks at once, then each key has one holder and released keys can be taken again', async () => {
    const locks = createBatchedLocks(core.redis, 10_000);
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `${core.prefix}:lock:test:${i % 25}`);
      const got = await Promise.all(keys.map((k) => locks.tryLock(k)));

      expect(got.filter(Boolean)).toHaveLength(25);
      for (let i = 0; i < 25; i++) expect(Boolean(got[i]) !== Boolean(got[i + 25])).toBe(true);
      // The single-lock implementation sees them as held: both speak the same protocol.
      expect(await tryLock(core.redis, keys[0]!, 10_000)).toBeUndefined();

      await Promise.all(got.map((l) => l?.release()));
      expect(await core.redis.exists(...keys.slice(0, 25))).toBe(0);
      const again = await locks.tryLock(keys[0]!);
      expect(again).toBeDefined();
      await again!.release();
    } finally {
      locks.stop();
    }
  });

  test('when a lock expired and was taken over, then the late release of its first holder leaves the new holder alone', async () => {
    const locks = createBatchedLocks(core.redis, 10_000);
    try {
      const key = `${core.prefix}:lock:test:taken-over`;
      const first = await locks.tryLock(key);
      await core.redis.set(key, 'someone-else', 'PX', 10_000);

      await first!.release();

      expect(await core.redis.get(key)).toBe('someone-else');
    } finally {
      locks.stop();
    }
  });
});

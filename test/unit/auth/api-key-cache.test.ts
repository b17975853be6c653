import { createApiKeyCache } from '../../../src/shared/auth/api-key-cache';
import { ApiKeyExpiredError } from '../../../src/shared/auth/api-key-expiry';
import type { ApiKeyRecord } from '../../../src/shared/auth/api-keys.repository';

const record = (id: string, expiresAt: string | null = null) => ({ id, role: 'superadmin', expiresAt }) as unknown as ApiKeyRecord;

function fixture(ttlMs: number) {
  let clock = Date.parse('2026-12-01T00:00:00Z');
  const lookups: string[] = [];
  const touched: string[] = [];
  const known = new Map<string, ApiKeyRecord>([
    ['evk_key-one', record('one')],
    ['evk_key-two', record('two')],
    ['evk_key-brief', record('brief', '2026-12-01T00:00:05Z')],
  ]);
  const cache = createApiKeyCache(
    {
      findByKey: async (key: string) => {
        lookups.push(key);
        return known.get(key);
      },
      touchLastUsed: async (id: string) => {
        touched.push(id);
        return true;
      },
    },
    ttlMs,
    () => clock,
  );
  return { cache, lookups, touched, known, advance: (ms: number) => (clock += ms) };
}

describe('API key cache', () => {
  test('when a key authenticated, then the database is not asked again until the TTL has passed', async () => {
    const f = fixture(10_000);
    expect(await f.cache.authenticate('evk_key-one')).toMatchObject({ id: 'one' });
    expect(await f.cache.authenticate('evk_key-one')).toMatchObject({ id: 'one' });
    f.advance(10_001);
    expect(await f.cache.authenticate('evk_key-one')).toMatchObject({ id: 'one' });
    expect(f.lookups).toEqual(['evk_key-one', 'evk_key-one']);
  });

  test('when asked whether it holds a key, then only a key that authenticated, is still fresh, unexpired and not revoked counts, and nothing is looked up', async () => {
    const f = fixture(10_000);
    expect(f.cache.holds('evk_key-one')).toBe(false);
    await f.cache.authenticate('evk_key-one');
    await f.cache.authenticate('evk_key-two');
    await f.cache.authenticate('evk_key-brief');
    await f.cache.authenticate('evk_unknown');
    expect([f.cache.holds('evk_key-one'), f.cache.holds('evk_key-brief'), f.cache.holds('evk_unknown')]).toEqual([true, true, false]);

    f.cache.invalidate('two');
    f.advance(6_000); // past the brief key's expiry, inside the TTL

    expect([f.cache.holds('evk_key-one'), f.cache.holds('evk_key-two'), f.cache.holds('evk_key-brief')]).toEqual([true, false, false]);
    f.advance(4_001);
    expect(f.cache.holds('evk_key-one')).toBe(false);
    expect(f.lookups).toEqual(['evk_key-one', 'evk_key-two', 'evk_key-brief', 'evk_unknown']);
  });

  test('when a key is revoked, then invalidating its id makes the very next request ask the database, and the listeners hear of it', async () => {
    const f = fixture(60_000);
    const heard: string[] = [];
    f.cache.onInvalidate((id) => heard.push(id));
    await f.cache.authenticate('evk_key-one');
    await f.cache.authenticate('evk_key-two');
    f.known.delete('evk_key-one');

    f.cache.invalidate('one');

    expect(await f.cache.authenticate('evk_key-one')).toBeUndefined();
    expect(await f.cache.authenticate('evk_key-two')).toMatchObject({ id: 'two' });
    expect(f.lookups).toEqual(['evk_key-one', 'evk_key-two', 'evk_key-one']);
    expect(heard).toEqual(['one']);
  });

  test('when the cache forgets everything (revocations may have been missed while Redis was away), then every key is asked of the database again', async () => {
    const f = fixture(60_000);
    await f.cache.authenticate('evk_key-one');
    await f.cache.authenticate('evk_key-two');
    f.known.delete('evk_key-two'); // revoked elsewhere; the announcement never arrived
    f.cache.forgetAll();
    expect(await f.cache.authenticate('evk_key-one')).toMatchObject({ id: 'one' });
    expect(await f.cache.authenticate('evk_key-two')).toBeUndefined();
    expect(f.lookups).toEqual(['evk_key-one', 'evk_key-two', 'evk_key-one', 'evk_key-two']);
  });

  test('when a key is unknown, then it is never cached: every attempt asks the database', async () => {
    const f = fixture(60_000);
    expect(await f.cache.authenticate('evk_unknown')).toBeUndefined();
    expect(await f.cache.authenticate('evk_unknown')).toBeUndefined();
    expect(f.lookups).toEqual(['evk_unknown', 'evk_unknown']);
  });

  test('when the TTL is 0, then every request asks the database', async () => {
    const f = fixture(0);
    await f.cache.authenticate('evk_key-one');
    await f.cache.authenticate('evk_key-one');
    expect(f.lookups).toHaveLength(2);
  });

  test('given a key cached for a minute that expires in 5 s, when 5 s pass, then the cache refuses it as expired without asking the database', async () => {
    const f = fixture(60_000);
    expect(await f.cache.authenticate('evk_key-brief')).toMatchObject({ id: 'brief' });
    f.advance(4_999);
    expect(await f.cache.authenticate('evk_key-brief')).toMatchObject({ id: 'brief' });

    f.advance(1);

    await expect(f.cache.authenticate('evk_key-brief')).rejects.toBeInstanceOf(ApiKeyExpiredError);
    await expect(f.cache.authenticate('evk_key-brief')).rejects.toMatchObject({ code: 'API_KEY_EXPIRED', httpStatus: 401 });
    expect(f.lookups).toEqual(['evk_key-brief', 'evk_key-brief']);
  });

  test('when a key is used many times within a minute, then its last use is written once, and again after the minute', async () => {
    const f = fixture(10_000);
    for (let i = 0; i < 5; i++) await f.cache.authenticate('evk_key-one');
    await f.cache.authenticate('evk_key-two');
    f.advance(59_999);
    await f.cache.authenticate('evk_key-one');
    expect(f.touched).toEqual(['one', 'two']);

    f.advance(1);
    await f.cache.authenticate('evk_key-one');

    expect(f.touched).toEqual(['one', 'two', 'one']);
  });

  test('when a refused or expired key is presented, then no last use is written', async () => {
    const f = fixture(10_000);
    f.advance(10_000);
    await f.cache.authenticate('evk_unknown');
    await expect(f.cache.authenticate('evk_key-brief')).rejects.toBeInstanceOf(ApiKeyExpiredError);
    expect(f.touched).toEqual([]);
  });

  test('when writing the last use fails, then the request still authenticates', async () => {
    const cache = createApiKeyCache({ findByKey: async () => record('one'), touchLastUsed: () => Promise.reject(new Error('database down')) }, 0);
    await expect(cache.authenticate('evk_key-one')).resolves.toMatchObject({ id: 'one' });
  });
});

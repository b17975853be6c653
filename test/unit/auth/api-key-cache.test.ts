import { createApiKeyCache } from '../../../src/shared/auth/api-key-cache';
import type { ApiKeyRecord } from '../../../src/shared/auth/api-keys.repository';

const record = (id: string) => ({ id, role: 'superadmin' }) as unknown as ApiKeyRecord;

function fixture(ttlMs: number) {
  let clock = 1_000;
  const lookups: string[] = [];
  const known = new Map<string, ApiKeyRecord>([['evk_key-one', record('one')], ['evk_key-two', record('two')]]);
  const cache = createApiKeyCache(
    async (key) => {
      lookups.push(key);
      return known.get(key);
    },
    ttlMs,
    () => clock,
  );
  return { cache, lookups, known, advance: (ms: number) => (clock += ms) };
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

  test('when a key is revoked, then invalidating its id makes the very next request ask the database', async () => {
    const f = fixture(60_000);
    await f.cache.authenticate('evk_key-one');
    await f.cache.authenticate('evk_key-two');
    f.known.delete('evk_key-one');

    f.cache.invalidate('one');

    expect(await f.cache.authenticate('evk_key-one')).toBeUndefined();
    expect(await f.cache.authenticate('evk_key-two')).toMatchObject({ id: 'two' });
    expect(f.lookups).toEqual(['evk_key-one', 'evk_key-two', 'evk_key-one']);
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
});

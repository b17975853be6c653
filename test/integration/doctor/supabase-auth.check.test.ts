import { checkSupabaseAuth } from '../../../src/tools/doctor/checks/supabase-auth.check';
import { FakeSupabase } from '../../helpers/fake-supabase';

const PORT = 47420;

/** The doctor's Supabase line: SUPABASE_URL well-formed, and its JWKS reachable with usable keys. */
describe('doctor: supabase-auth', () => {
  let supabase: FakeSupabase;

  beforeAll(async () => {
    supabase = await FakeSupabase.start(PORT);
  });

  afterAll(async () => {
    await supabase.stop();
  });

  const check = (url: string | undefined, hasLegacySecret = false) => checkSupabaseAuth({ url, hasLegacySecret, timeoutMs: 2_000 });

  test('not configured: one ok line saying API keys only; the secret alone is a fix', async () => {
    expect(await check(undefined)).toEqual([{ level: 'ok', check: 'supabase-auth', message: expect.stringMatching(/off .*API keys only/) }]);
    expect((await check(undefined, true))[0]).toMatchObject({ level: 'fix', fix: expect.stringMatching(/SUPABASE_URL/) });
  });

  test.each([
    ['plain http to another machine', 'http://abc.supabase.co', /must be https/],
    ['a path', 'https://abc.supabase.co/auth/v1', /project URL only/],
    ['not a URL', 'abc.supabase.co', /not a valid URL/],
  ])('a malformed SUPABASE_URL (%s) is a fix that says what is wrong', async (_what, url, message) => {
    const [finding] = await check(url);
    expect(finding).toMatchObject({ level: 'fix', message: expect.stringMatching(message) });
  });

  test('a reachable JWKS with an ES256 key is ok; without keys and without the legacy secret it is a fix', async () => {
    const empty = await check(supabase.url);
    expect(empty[0]).toMatchObject({ level: 'ok', message: expect.stringMatching(/0 key\(s\), 0 usable/) });
    expect(empty[1]).toMatchObject({ level: 'fix', fix: expect.stringMatching(/SUPABASE_JWT_SECRET/) });
    await supabase.addKey('ES256');
    expect(await check(supabase.url)).toEqual([{ level: 'ok', check: 'supabase-auth', message: expect.stringMatching(/1 key\(s\), 1 usable/) }]);
  });

  test('an unreachable JWKS is a fix, quickly', async () => {
    await supabase.stop();
    try {
      const started = Date.now();
      const [finding] = await check(supabase.url);
      expect(finding).toMatchObject({ level: 'fix', message: expect.stringMatching(/unreachable/) });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await supabase.listen();
    }
  });
});

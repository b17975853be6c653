import { ConfigError, describeConfig, loadConfig } from '../../../src/shared/config';

const base = { DATABASE_URL: 'postgres://evara:s3cretPw@db.example.com:5432/evara' };
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ ...base, ...env }, 'api');
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

describe('Supabase sign-in settings', () => {
  test('unset: sign-in is off and nothing else changes', () => {
    const c = loadConfig(base, 'api');
    expect(c.userAuth).toBeUndefined();
    expect(c.corsOrigins).toEqual([]);
    expect(describeConfig(c).userAuth).toBe('off (API keys only)');
  });

  test('an https project URL gives the issuer, the JWKS URL and the defaults', () => {
    const c = loadConfig({ ...base, SUPABASE_URL: 'https://abcdefgh.supabase.co/' }, 'api');
    expect(c.userAuth).toEqual({
      supabaseUrl: 'https://abcdefgh.supabase.co',
      issuer: 'https://abcdefgh.supabase.co/auth/v1',
      jwksUrl: 'https://abcdefgh.supabase.co/auth/v1/.well-known/jwks.json',
      audience: 'authenticated',
      jwtSecret: undefined,
      jwksCooldownMs: 30_000,
      trustAppMetadata: false,
    });
  });

  test.each(['http://127.0.0.1:54321', 'http://localhost:54321', 'http://[::1]:54321'])('plain http is accepted on loopback (%s: the Supabase CLI)', (url) => {
    expect(loadConfig({ ...base, SUPABASE_URL: url }, 'api').userAuth?.issuer).toBe(`${url}/auth/v1`);
  });

  test.each([
    ['http to another machine', 'http://abcdefgh.supabase.co', /must be https/],
    ['a path', 'https://abcdefgh.supabase.co/auth/v1', /project URL only/],
    ['credentials', 'https://user:pw@abcdefgh.supabase.co', /credentials/],
    ['not a URL', 'abcdefgh.supabase.co', /not a valid URL/],
  ])('SUPABASE_URL with %s is refused', (_what, url, message) => {
    const problems = problemsOf({ SUPABASE_URL: url });
    expect(problems).toEqual([expect.stringMatching(message)]);
    expect(problems.join()).not.toContain('pw@');
  });

  test('the legacy secret needs SUPABASE_URL and at least 32 characters, and never shows in the description', () => {
    expect(problemsOf({ SUPABASE_JWT_SECRET: 'x'.repeat(40) })).toEqual([expect.stringMatching(/^SUPABASE_URL: is required with SUPABASE_JWT_SECRET/)]);
    expect(problemsOf({ SUPABASE_URL: 'https://a.supabase.co', SUPABASE_JWT_SECRET: 'short' })).toEqual([expect.stringMatching(/^SUPABASE_JWT_SECRET: must be at least 32/)]);
    const secret = 'super-secret-jwt-secret-value-0123456789';
    const c = loadConfig({ ...base, SUPABASE_URL: 'https://a.supabase.co', SUPABASE_JWT_SECRET: secret, AUTH_TRUST_APP_METADATA: 'true' }, 'api');
    expect(c.userAuth).toMatchObject({ jwtSecret: secret, trustAppMetadata: true });
    expect(JSON.stringify(describeConfig(c))).not.toContain(secret);
  });
});

describe('CORS_ORIGINS', () => {
  test('exact origins, trimmed, deduplicated, with a trailing slash forgiven', () => {
    expect(loadConfig({ ...base, CORS_ORIGINS: 'https://app.example.com, http://localhost:5173 ,https://app.example.com/' }, 'api').corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  test.each(['*', 'https://*.example.com', 'https://app.example.com/dashboard', 'app.example.com', 'null', 'ftp://files.example.com'])('"%s" is not an exact origin and is refused', (origin) => {
    expect(problemsOf({ CORS_ORIGINS: origin })).toEqual([expect.stringMatching(/^CORS_ORIGINS: .* is not an exact origin/)]);
  });
});

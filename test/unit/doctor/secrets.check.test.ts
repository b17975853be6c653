import { checkSecrets } from '../../../src/tools/doctor/checks/secrets.check';
import type { Finding } from '../../../src/tools/doctor/finding';

// Fixed random values (openssl rand), so the test never depends on chance.
const STRONG_ADMIN_KEY = 'FzDMpUxVqpm6Ok9uPNkL2Qg8qc3r/kRMdZ8upmtubRI=';
const STRONG_ENCRYPTION_KEY = 'DIYyZxsbdlaa6C4cgEN+uoFBbdoleBUP0na0TTW7/5I=';
const STRONG_DB_PASSWORD = 'ji1LyDZNT9SIthL71z246yetpGag5EXU';
const STRONG_METRICS_TOKEN = 'aa8c297d491ad2d0aa42b89a6fc15ce085aecc25d1b786ba';
const DEV_KEY_BASE64 = Buffer.from('evara-development-only-key-32byt').toString('base64');

const healthy = {
  NODE_ENV: 'production',
  ADMIN_API_KEY: STRONG_ADMIN_KEY,
  ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY,
  METRICS_TOKEN: STRONG_METRICS_TOKEN,
  DATABASE_URL: `postgresql://postgres.abc:${STRONG_DB_PASSWORD}@aws-0-x.pooler.supabase.com:5432/postgres`,
};

function judge(overrides: Record<string, string | undefined>, alreadyReported: string[] = []): Finding[] {
  return checkSecrets({ env: { ...healthy, ...overrides }, production: true, alreadyReported: new Set(alreadyReported) });
}
const fixFor = (findings: Finding[], name: string) => findings.find((f) => f.level === 'fix' && f.message.includes(name));

describe('secrets check', () => {
  test('given strong production secrets, when checked, then one ok line and no fix', () => {
    expect(judge({})).toEqual([{ level: 'ok', check: 'secrets', message: 'production secrets are set and look random' }]);
  });

  test('given development, when checked, then secrets are not judged', () => {
    const findings = checkSecrets({ env: { ADMIN_API_KEY: 'short' }, production: false, alreadyReported: new Set() });
    expect(findings.map((f) => f.level)).toEqual(['ok']);
  });

  test('given production without ADMIN_API_KEY, when checked, then it must be fixed with how to generate one', () => {
    const fix = fixFor(judge({ ADMIN_API_KEY: undefined }), 'ADMIN_API_KEY');
    expect(fix?.message).toMatch(/missing/);
    expect(fix?.fix).toMatch(/openssl rand -base64 32/);
  });

  test.each([
    ['short', 'abc123', /shorter than 32/],
    ['a well-known word', 'changeme-changeme-changeme-changeme', /well-known word "changeme"/],
    ['few distinct characters', 'abababababababababababababababababab', /distinct characters/],
    ['one block repeated', 'abcdefghijkABCDEFGHIJKabcdefghijkABCDEFGHIJK', /one short block repeated/],
    ['mostly one character', `${'a'.repeat(40)}bcdefghijk`, /too little randomness/],
  ])('given an ADMIN_API_KEY that is %s, when checked, then it must be fixed', (_what, value, reason) => {
    expect(fixFor(judge({ ADMIN_API_KEY: value }), 'ADMIN_API_KEY')?.message).toMatch(reason);
  });

  test('given production without ENCRYPTION_KEY, when checked, then it must be fixed', () => {
    expect(fixFor(judge({ ENCRYPTION_KEY: undefined }), 'ENCRYPTION_KEY')?.message).toMatch(/missing/);
  });

  test('given the development encryption key, when checked, then it must be fixed', () => {
    expect(fixFor(judge({ ENCRYPTION_KEY: DEV_KEY_BASE64 }), 'ENCRYPTION_KEY')?.message).toMatch(/development key/);
  });

  test('given an encryption key of repeated bytes, when checked, then it must be fixed', () => {
    expect(fixFor(judge({ ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('hex') }), 'ENCRYPTION_KEY')?.message).toMatch(/not random/);
  });

  test.each([['postgres'], ['password'], ['hunter2'], ['Postgres']])('given the database password %s, when checked, then it must be fixed', (password) => {
    const findings = judge({ DATABASE_URL: `postgresql://postgres:${password}@db.example.net:5432/evara` });
    expect(fixFor(findings, 'DATABASE_URL password')).toBeDefined();
  });

  test('given a weak METRICS_TOKEN, when checked, then it must be fixed; an unset one is a warning about open worker metrics', () => {
    expect(fixFor(judge({ METRICS_TOKEN: 'metrics' }), 'METRICS_TOKEN')).toBeDefined();
    expect(judge({ METRICS_TOKEN: undefined })).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/METRICS_TOKEN is not set.*\/metrics/) })]);
  });

  test('given a variable the config check already flagged, when checked, then it is not reported twice', () => {
    expect(fixFor(judge({ ENCRYPTION_KEY: undefined }, ['ENCRYPTION_KEY']), 'ENCRYPTION_KEY')).toBeUndefined();
  });

  test('given weak secrets, when checked, then no finding quotes a secret value', () => {
    const values = { ADMIN_API_KEY: 'changeme-changeme-changeme-changeme', METRICS_TOKEN: 'tok3n-weak', DATABASE_URL: 'postgresql://postgres:hunter2@db.example.net/evara' };
    const text = judge(values).map((f) => `${f.message} ${f.fix ?? ''}`).join('\n');
    for (const secret of ['changeme-changeme', 'tok3n-weak', 'hunter2']) expect(text).not.toContain(secret);
  });
});

import { checkDatabaseTls } from '../../../src/tools/doctor/checks/database-tls.check';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const SUPABASE = 'postgresql://postgres.abc:pw@aws-0-eu-west-2.pooler.supabase.com:5432/postgres';
const OTHER = 'postgresql://evara:pw@db.example.net:5432/evara';

function one(url: string, opts: { caCert?: string; production?: boolean } = {}) {
  const findings = checkDatabaseTls({ url, caCert: opts.caCert, production: opts.production ?? false });
  expect(findings).toHaveLength(1);
  return findings[0]!;
}

const plaintextFix = (url: string) => one(url, { production: true }).fix;

describe('database-tls check', () => {
  test('given a local server without sslmode, when checked, then plaintext is fine', () => {
    expect(one('postgres://postgres@127.0.0.1:5432/evara').level).toBe('ok');
  });

  test('given a remote server without sslmode, when checked, then it says nothing is encrypted: a fix in production, a warning otherwise', () => {
    const prod = one(OTHER, { production: true });
    expect(prod.level).toBe('fix');
    expect(prod.message).toMatch(/no sslmode.*not encrypted/);
    expect(prod.fix).toMatch(/sslmode=verify-full.*DATABASE_CA_CERT/);
    expect(one(OTHER).level).toBe('warn');
  });

  test('given sslmode=disable to a remote server in production, when checked, then it must be fixed', () => {
    const finding = one(`${OTHER}?sslmode=disable`, { production: true });
    expect(finding.level).toBe('fix');
    expect(finding.message).toMatch(/sslmode=disable: .*in clear/);
  });

  test('given sslmode=require without a CA, when checked, then it explains encryption without verification', () => {
    const finding = one(`${OTHER}?sslmode=require`, { production: true });
    expect(finding.level).toBe('warn');
    expect(finding.message).toMatch(/encrypts but does not verify/);
    expect(finding.message).toMatch(/node-postgres would read require as full verification/);
  });

  test('given sslmode=prefer, when checked, then it says Evara never falls back to plaintext', () => {
    expect(one(`${OTHER}?sslmode=prefer`).message).toMatch(/never falls back to plaintext/);
  });

  test('given Supabase with sslmode=require and no CA in production, when checked, then the missing CA must be fixed and where to get it is named', () => {
    const finding = one(`${SUPABASE}?sslmode=require`, { production: true });
    expect(finding.level).toBe('fix');
    expect(finding.fix).toMatch(/SSL Configuration > Download certificate.*DATABASE_CA_CERT/);
  });

  test('given Supabase with sslmode=require and no CA outside production, when checked, then it is only a warning', () => {
    expect(one(`${SUPABASE}?sslmode=require`).level).toBe('warn');
  });

  test('given Supabase with verification requested and no CA, when checked, then it must be fixed: it fails with SELF_SIGNED_CERT_IN_CHAIN', () => {
    for (const mode of ['verify-full', 'verify-ca']) {
      const finding = one(`${SUPABASE}?sslmode=${mode}`);
      expect(finding.level).toBe('fix');
      expect(finding.message).toMatch(/SELF_SIGNED_CERT_IN_CHAIN/);
      expect(finding.fix).toMatch(/DATABASE_CA_CERT/);
    }
  });

  test('given another provider with verify-full and no CA, when checked, then a warning says only the system CAs are trusted', () => {
    const finding = one(`${OTHER}?sslmode=verify-full`, { production: true });
    expect(finding.level).toBe('warn');
    expect(finding.message).toMatch(/only the system CAs are trusted/);
  });

  test('given a PEM CA, when checked, then the connection is verified; verify-ca is said to act as verify-full', () => {
    expect(one(`${SUPABASE}?sslmode=verify-full`, { caCert: CA, production: true })).toMatchObject({ level: 'ok', message: expect.stringMatching(/verified against DATABASE_CA_CERT/) });
    expect(one(`${SUPABASE}?sslmode=verify-ca`, { caCert: CA }).message).toMatch(/verify-ca acts as verify-full/);
  });

  test('given a CA that is not PEM text, when checked, then it must be fixed', () => {
    expect(one(`${SUPABASE}?sslmode=verify-full`, { caCert: 'prod-ca-2021.crt' })).toMatchObject({ level: 'fix', message: expect.stringMatching(/not PEM/) });
  });

  test('given sslmode=disable together with a CA, when checked, then a warning says TLS is used anyway', () => {
    expect(one(`${OTHER}?sslmode=disable`, { caCert: CA })).toMatchObject({ level: 'warn', message: expect.stringMatching(/connects with TLS and verifies/) });
  });

  test('given Supabase without sslmode, when checked, then it says TLS is turned on but not verified: a fix in production, a warning otherwise', () => {
    const prod = one(SUPABASE, { production: true });
    expect(prod).toMatchObject({ level: 'fix', message: expect.stringMatching(/no sslmode: Evara turns TLS on for a Supabase host.*not verified/) });
    expect(prod.fix).toMatch(/DATABASE_CA_CERT/);
    expect(one(SUPABASE).level).toBe('warn');
    expect(one(SUPABASE, { caCert: CA, production: true }).level).toBe('ok');
  });

  test('given DATABASE_SSL=disable to a remote server, when checked, then plaintext on purpose is a warning, not a fix; locally it is fine', () => {
    const finding = checkDatabaseTls({ url: OTHER, caCert: undefined, production: true, sslSetting: 'disable' });
    expect(finding).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/DATABASE_SSL=disable: .*not encrypted, on purpose/) })]);
    expect(checkDatabaseTls({ url: 'postgres://postgres@127.0.0.1/evara', caCert: undefined, production: true, sslSetting: 'disable' })[0]?.level).toBe('ok');
  });

  test('given plaintext to a remote server in production, when the config check already refused it, then it is not reported twice', () => {
    expect(plaintextFix(OTHER)).toMatch(/DATABASE_SSL=disable/);
    expect(checkDatabaseTls({ url: OTHER, caCert: undefined, production: true, alreadyReported: new Set(['DATABASE_URL']) })).toEqual([]);
    expect(checkDatabaseTls({ url: `${OTHER}?sslmode=require`, caCert: CA, production: true, sslSetting: 'disable', alreadyReported: new Set(['DATABASE_SSL']) })).toEqual([]);
  });

  test('given an unknown sslmode or no URL, when checked, then nothing is reported here (the config check reports it)', () => {
    expect(checkDatabaseTls({ url: `${OTHER}?sslmode=sometimes`, caCert: undefined, production: true })).toEqual([]);
    expect(checkDatabaseTls({ url: undefined, caCert: undefined, production: true })).toEqual([]);
  });
});

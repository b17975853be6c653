import { checkDatabaseTls } from '../../../src/tools/doctor/checks/database-tls.check';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const SUPABASE = 'postgresql://postgres.abc:pw@aws-0-eu-west-2.pooler.supabase.com:5432/postgres';
const OTHER = 'postgresql://evara:pw@db.example.net:5432/evara';

function one(url: string, opts: { caCert?: string; production?: boolean } = {}) {
  const findings = checkDatabaseTls({ url, caCert: opts.caCert, production: opts.production ?? false });
  expect(findings).toHaveLength(1);
  return findings[0]!;
}

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

  test('given an unknown sslmode or no URL, when checked, then nothing is reported here (the config check reports it)', () => {
    expect(checkDatabaseTls({ url: `${OTHER}?sslmode=sometimes`, caCert: undefined, production: true })).toEqual([]);
    expect(checkDatabaseTls({ url: undefined, caCert: undefined, production: true })).toEqual([]);
  });
});

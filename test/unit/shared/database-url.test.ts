import { maskUrl, normaliseDatabaseUrl } from '../../../src/shared/db/database-url';

describe('normaliseDatabaseUrl', () => {
  test('when sslmode=require is given without a CA, then it is removed from the URL and means encrypted, not verified', () => {
    const n = normaliseDatabaseUrl('postgresql://u:p@host.example:6000/db?sslmode=require');
    expect(n.connectionString).not.toContain('sslmode');
    expect(n.ssl).toEqual({ rejectUnauthorized: false });
    expect(n.warnings.join()).toMatch(/not verified/);
    expect(n).toMatchObject({ host: 'host.example', port: 6000, database: 'db', user: 'u' });
  });

  test('when a CA is given, then it is verified against that CA', () => {
    const n = normaliseDatabaseUrl('postgresql://u:p@h/db?sslmode=verify-full', '-----BEGIN CERTIFICATE-----x');
    expect(n.ssl).toEqual({ ca: '-----BEGIN CERTIFICATE-----x', rejectUnauthorized: true });
  });

  test("when the host is Supabase's direct host, then a warning names the IPv6 problem and the pooler to use", () => {
    const n = normaliseDatabaseUrl('postgresql://postgres:x@db.abcdefgh.supabase.co:5432/postgres');
    expect(n.poolerMode).toBe('supabase-direct');
    expect(n.warnings.join()).toMatch(/IPv6-only[\s\S]*pooler\.supabase\.com[\s\S]*postgres\.abcdefgh[\s\S]*6543/);
  });

  test('when the Supabase pooler port 6543 is used, then transaction-mode limits are explained', () => {
    const n = normaliseDatabaseUrl('postgresql://postgres.ref:x@aws-0-eu-central-1.pooler.supabase.com:6543/postgres');
    expect(n.poolerMode).toBe('supabase-transaction');
    expect(n.warnings.join()).toMatch(/transaction mode/);
  });

  test('when sslmode is unknown, then it is refused', () => {
    expect(() => normaliseDatabaseUrl('postgres://h/db?sslmode=sometimes')).toThrow(/unknown sslmode/);
  });

  test('when a URL is masked, then the password is hidden', () => {
    expect(maskUrl('postgres://u:hunter2@h:5432/db')).toBe('postgres://u:****@h:5432/db');
  });
});

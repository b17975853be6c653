import { checkDatabaseUrl } from '../../../src/tools/doctor/checks/database-url.check';
import type { Finding } from '../../../src/tools/doctor/finding';

const text = (findings: Finding[]) => findings.map((f) => `${f.level} ${f.message} -> ${f.fix ?? ''}`).join('\n');
const fixes = (findings: Finding[]) => findings.filter((f) => f.level === 'fix');

describe('database-url check', () => {
  test('given the Supabase direct host, when checked, then a fix names IPv6 and the session pooler host, port and user to use', () => {
    const findings = checkDatabaseUrl('postgresql://postgres:x@db.abc.supabase.co:5432/postgres');

    const [fix] = fixes(findings);
    expect(fix?.message).toMatch(/db\.abc\.supabase\.co is IPv6-only/);
    expect(fix?.message).toMatch(/ENETUNREACH/);
    expect(fix?.fix).toMatch(/aws-0-<region>\.pooler\.supabase\.com:5432 with user postgres\.abc/);
    expect(fix?.fix).toMatch(/Connect.*Session pooler/);
  });

  test('given the transaction pooler port 6543, when checked, then a warning says what it forbids and to migrate through 5432', () => {
    const findings = checkDatabaseUrl('postgresql://postgres.abc:pw@aws-0-ap-south-1.pooler.supabase.com:6543/postgres');

    expect(fixes(findings)).toEqual([]);
    const advice = findings.find((f) => f.level === 'warn');
    expect(advice?.message).toMatch(/transaction mode/);
    for (const forbidden of ['prepared statements', 'LISTEN/NOTIFY', 'SET', 'advisory locks']) expect(advice?.message).toContain(forbidden);
    expect(advice?.message).toMatch(/Evara's API and workers use none/);
    expect(advice?.fix).toMatch(/migrat.*5432.*session mode/);
  });

  test('given the pooler on port 5432, when checked, then it is reported as session mode without a fix', () => {
    const findings = checkDatabaseUrl('postgresql://postgres.abc:pw@aws-1-eu-west-2.pooler.supabase.com:5432/postgres');

    expect(findings.map((f) => f.level)).toEqual(['ok', 'ok']);
    expect(text(findings)).toMatch(/session mode: every Postgres feature works/);
  });

  test('given the pooler with a user lacking the project ref, when checked, then a fix asks for postgres.<project-ref>', () => {
    const findings = checkDatabaseUrl('postgresql://postgres:pw@aws-0-us-east-1.pooler.supabase.com:5432/postgres');

    expect(fixes(findings).map((f) => f.fix)).toEqual([expect.stringMatching(/postgres\.<project-ref>/)]);
  });

  test('given the pooler on another port, when checked, then a fix names the two ports it listens on', () => {
    expect(fixes(checkDatabaseUrl('postgresql://postgres.abc:pw@aws-0-x.pooler.supabase.com:5433/postgres'))[0]?.fix).toMatch(/5432.*6543/);
  });

  test("given Supabase's HTTP API host, when checked, then a fix says it is not a Postgres host", () => {
    expect(fixes(checkDatabaseUrl('postgresql://postgres:pw@abc.supabase.co:5432/postgres'))[0]?.message).toMatch(/not a Postgres one/);
  });

  test('given a plain host, when checked, then only where it points is reported, with the password masked', () => {
    const findings = checkDatabaseUrl('postgres://evara:pw-123@db.internal:5432/evara');

    expect(findings).toEqual([{ level: 'ok', check: 'database-url', message: 'points at postgres://evara:****@db.internal:5432/evara' }]);
  });

  test('given a missing or malformed URL, when checked, then nothing is reported here (the config check reports it)', () => {
    expect(checkDatabaseUrl(undefined)).toEqual([]);
    expect(checkDatabaseUrl('not a url')).toEqual([]);
    expect(checkDatabaseUrl('mysql://u:p@h/db')).toEqual([]);
  });

  test('given URLs with a password, when checked, then no finding contains the password', () => {
    const password = 'S3cretPassw0rd';
    const urls = [
      `postgresql://postgres:${password}@db.abc.supabase.co:5432/postgres`,
      `postgresql://postgres.abc:${password}@aws-0-x.pooler.supabase.com:6543/postgres`,
      `postgresql://postgres:${password}@aws-0-x.pooler.supabase.com:5432/postgres`,
      `postgresql://postgres:${password}@abc.supabase.co/postgres`,
    ];
    for (const url of urls) expect(text(checkDatabaseUrl(url))).not.toContain(password);
  });
});

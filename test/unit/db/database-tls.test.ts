import { ConfigError, loadConfig } from '../../../src/shared/config';
import { decideDatabaseTls } from '../../../src/shared/db/database-tls';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const KEY = Buffer.alloc(32, 7).toString('base64');

const LOCAL = 'postgres://evara:pw@127.0.0.1:5432/evara';
const REMOTE = 'postgres://evara:pw@db.example.net:5432/evara';
const POOLER = 'postgresql://postgres.abc:pw@aws-0-eu-west-2.pooler.supabase.com:6543/postgres';
const DIRECT = 'postgresql://postgres:pw@db.abc.supabase.co:5432/postgres';

type Env = 'development' | 'production';
interface Row {
  url: string;
  env: Env;
  ssl?: 'auto' | 'disable';
  ca?: boolean;
  /** The pg `ssl` option, or the config error expected instead. */
  expected: false | { rejectUnauthorized: boolean; ca?: string } | { error: RegExp };
  warning?: RegExp;
}

function load(row: Row) {
  return loadConfig(
    {
      DATABASE_URL: row.url,
      NODE_ENV: row.env,
      ENCRYPTION_KEY: KEY,
      ...(row.ssl ? { DATABASE_SSL: row.ssl } : {}),
      ...(row.ca ? { DATABASE_CA_CERT: CA } : {}),
    },
    'worker',
  );
}

const VERIFIED_BY_CA = { ca: CA, rejectUnauthorized: true };
const UNVERIFIED = { rejectUnauthorized: false };

// URL × NODE_ENV × DATABASE_SSL × CA → what node-postgres gets, or why the process refuses to start.
const TABLE: Row[] = [
  // Loopback: plaintext is fine everywhere.
  { url: LOCAL, env: 'production', expected: false },
  { url: 'postgres://evara@localhost/evara?sslmode=disable', env: 'production', expected: false },
  { url: 'postgres://evara@[::1]:5432/evara', env: 'production', expected: false },
  { url: 'postgres:///evara?host=/var/run/postgresql', env: 'production', expected: false },
  // Another machine without TLS: refused in production, a warning elsewhere.
  { url: REMOTE, env: 'production', expected: { error: /^DATABASE_URL: no sslmode .*db\.example\.net is not encrypted.*refused in production.*DATABASE_SSL=disable/ } },
  { url: `${REMOTE}?sslmode=disable`, env: 'production', expected: { error: /^DATABASE_URL: sslmode=disable: .*refused in production/ } },
  { url: `${REMOTE}?sslmode=allow`, env: 'production', expected: { error: /^DATABASE_URL: sslmode=allow: .*refused in production/ } },
  { url: REMOTE, env: 'development', expected: false, warning: /db\.example\.net is not encrypted.*production refuses this/ },
  // ... unless DATABASE_SSL=disable says plaintext is meant.
  { url: REMOTE, env: 'production', ssl: 'disable', expected: false, warning: /DATABASE_SSL=disable: the connection to db\.example\.net is not encrypted, as asked/ },
  { url: `${REMOTE}?sslmode=disable`, env: 'production', ssl: 'disable', expected: false },
  { url: `${REMOTE}?sslmode=require`, env: 'production', ssl: 'disable', expected: { error: /^DATABASE_SSL: is disable but DATABASE_URL asks for TLS \(sslmode=require\)/ } },
  { url: REMOTE, env: 'development', ssl: 'disable', ca: true, expected: { error: /^DATABASE_SSL: is disable but DATABASE_CA_CERT is set/ } },
  // sslmode given: libpq meanings, never plaintext.
  { url: `${REMOTE}?sslmode=require`, env: 'production', expected: UNVERIFIED, warning: /not verified/ },
  { url: `${REMOTE}?sslmode=verify-full`, env: 'production', expected: { rejectUnauthorized: true }, warning: /only the system CAs/ },
  { url: `${REMOTE}?sslmode=verify-full`, env: 'production', ca: true, expected: VERIFIED_BY_CA },
  // A CA always means verified TLS, whatever sslmode says.
  { url: REMOTE, env: 'production', ca: true, expected: VERIFIED_BY_CA },
  { url: `${REMOTE}?sslmode=disable`, env: 'development', ca: true, expected: VERIFIED_BY_CA },
  // Supabase without sslmode: TLS by itself, verified when the CA is given, otherwise require with a warning.
  { url: POOLER, env: 'production', expected: UNVERIFIED, warning: /Supabase host and DATABASE_URL has no sslmode: TLS is turned on.*not verified.*DATABASE_CA_CERT/ },
  { url: DIRECT, env: 'development', expected: UNVERIFIED, warning: /Supabase host/ },
  { url: POOLER, env: 'production', ca: true, expected: VERIFIED_BY_CA },
  { url: `${POOLER}?sslmode=disable`, env: 'production', expected: { error: /^DATABASE_URL: sslmode=disable: .*refused in production/ } },
  { url: `${POOLER}?sslmode=disable`, env: 'production', ssl: 'disable', expected: false },
];

describe('database TLS decision table (through loadConfig)', () => {
  test.each(TABLE.map((row) => [`${row.url.replace(/:pw@/, ':****@')} NODE_ENV=${row.env} DATABASE_SSL=${row.ssl ?? 'auto'} CA=${row.ca ? 'yes' : 'no'}`, row] as const))(
    '%s',
    (_name, row) => {
      if (typeof row.expected === 'object' && row.expected && 'error' in row.expected) {
        expect.assertions(3);
        try {
          load(row);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).problems).toEqual(expect.arrayContaining([expect.stringMatching(row.expected.error)]));
          expect((err as Error).message).not.toContain(':pw@'); // never the password
        }
        return;
      }
      const config = load(row);
      expect(config.db.ssl).toEqual(row.expected);
      expect(config.db.connectionString).not.toContain('sslmode');
      if (row.warning) expect(config.warnings).toEqual(expect.arrayContaining([expect.stringMatching(row.warning)]));
    },
  );

  test('when the refusal is read, then it says every way out: sslmode with the CA, sslmode=require, or DATABASE_SSL=disable', () => {
    expect(() => load({ url: REMOTE, env: 'production', expected: false })).toThrow(/sslmode=verify-full and DATABASE_CA_CERT .*or sslmode=require.*or set DATABASE_SSL=disable if that network is private/);
  });
});

describe('decideDatabaseTls', () => {
  const base = { host: 'db.example.net', sslmode: undefined, setting: 'auto' as const, production: false };

  test('when sslmode is unknown, then it is refused whatever else is set', () => {
    expect(() => decideDatabaseTls({ ...base, sslmode: 'sometimes' })).toThrow(/unknown sslmode "sometimes"/);
    expect(() => decideDatabaseTls({ ...base, sslmode: 'sometimes', setting: 'disable' })).toThrow(/unknown sslmode/);
  });

  test('when the host is a loopback address in any spelling, then plaintext needs no warning even in production', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '', '/tmp']) {
      expect(decideDatabaseTls({ ...base, host, production: true })).toEqual({ ssl: false, warnings: [] });
    }
  });

  test('when a host only looks like Supabase, then it does not get Supabase treatment', () => {
    expect(() => decideDatabaseTls({ ...base, host: 'supabase.co.evil.example', production: true })).toThrow(/refused in production/);
    expect(() => decideDatabaseTls({ ...base, host: 'db.supabase.com', production: true })).toThrow(/refused in production/);
  });
});

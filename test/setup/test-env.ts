/**
 * Where the integration tests find Postgres and Redis. Order: TEST_DATABASE_URL / TEST_REDIS_URL
 * (CI, this machine), then containers started by global-setup when Docker exists, then the
 * services on 127.0.0.1 that our machines run.
 */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** The database the suite owns, created fresh on the server of TEST_DATABASE_URL. */
export function testDatabaseName(): string {
  return process.env.EVARA_TEST_DB_NAME ?? 'evara_it';
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Set by global-setup for every test file. */
export function itDatabaseUrl(): string {
  const url = process.env.EVARA_IT_DATABASE_URL;
  if (!url) throw new Error('EVARA_IT_DATABASE_URL is not set: run integration tests through jest (global-setup)');
  return url;
}

export function itRedisUrl(): string {
  const url = process.env.EVARA_IT_REDIS_URL;
  if (!url) throw new Error('EVARA_IT_REDIS_URL is not set: run integration tests through jest (global-setup)');
  return url;
}

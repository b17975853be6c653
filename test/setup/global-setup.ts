import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { createDb } from '../../src/shared/db/knex';
import { runMigrations } from '../../src/shared/db/migrate';
import { DEFAULT_TEST_DATABASE_URL, DEFAULT_TEST_REDIS_URL, testDatabaseName, withDatabase } from './test-env';

type Stoppable = { stop(): Promise<unknown> };
const started: Stoppable[] = [];
(globalThis as { __evaraContainers?: Stoppable[] }).__evaraContainers = started;

function dockerAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startContainers(): Promise<{ db: string; redis: string }> {
  // Loaded only when needed: CI and our machines have no Docker engine.
  const { GenericContainer, Wait } = await import('testcontainers');
  const pg = await new GenericContainer('postgres:15')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  started.push(pg, redis);
  return {
    db: `postgres://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`,
    redis: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
  };
}

/** Creates a fresh database for the suite on the test server and migrates it once. */
export default async function globalSetup(): Promise<void> {
  let baseDb = process.env.TEST_DATABASE_URL;
  let redisUrl = process.env.TEST_REDIS_URL;
  if ((!baseDb || !redisUrl) && dockerAvailable() && process.env.EVARA_TEST_NO_CONTAINERS !== '1') {
    try {
      const c = await startContainers();
      baseDb ??= c.db;
      redisUrl ??= c.redis;
    } catch (err) {
      process.stderr.write(`testcontainers could not start (${(err as Error).message}); using local services\n`);
    }
  }
  baseDb ??= DEFAULT_TEST_DATABASE_URL;
  redisUrl ??= DEFAULT_TEST_REDIS_URL;

  const name = testDatabaseName();
  const admin = new Client({ connectionString: baseDb, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(baseDb, name);
  const config = loadConfig({ DATABASE_URL: url, REDIS_URL: redisUrl, NODE_ENV: 'test' }, 'tool');
  const db = createDb(config, createLogger({ service: 'test-setup', version: 'test', level: 'silent' }), { poolMax: 1, statementTimeoutMs: 0 });
  try {
    await runMigrations(db, 'latest');
  } finally {
    await db.destroy();
  }
  process.env.EVARA_IT_DATABASE_URL = url;
  process.env.EVARA_IT_REDIS_URL = redisUrl;
}

import { Client } from 'pg';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { createDb, type Db } from '../../src/shared/db/knex';
import { itDatabaseUrl, testDatabaseName, withDatabase } from '../setup/test-env';

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: itDatabaseUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * An empty database of a test file's own, beside the suite's, for tests that migrate or change the
 * schema. Named after the suite's database, so parallel runs with their own EVARA_TEST_DB_NAME
 * never share it. Not migrated: the test decides how far.
 */
export async function openOwnDatabase(suffix: string): Promise<{ db: Db; drop(): Promise<void> }> {
  const name = `${testDatabaseName()}_${suffix}`;
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  const config = loadConfig({ DATABASE_URL: withDatabase(itDatabaseUrl(), name), NODE_ENV: 'test' }, 'tool');
  const db = createDb(config, createLogger({ service: 'test', version: 'test', level: 'silent' }), { poolMax: 2 });
  return {
    db,
    async drop() {
      await db.destroy();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

import { Client } from 'pg';
import { loadConfig, type Config } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { createDb, type Db } from '../src/shared/db/knex';
import { runMigrations } from '../src/shared/db/migrate';

async function recreate(serverUrl: string, name: string, drop: boolean): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    if (!drop) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

/**
 * A benchmark's own throwaway database, created fresh and migrated on the server of DATABASE_URL
 * (local Postgres by default); `drop()` closes the pool and removes it.
 */
export async function openBenchDatabase(name: string): Promise<{ config: Config; db: Db; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const config = loadConfig({ ...process.env, DATABASE_URL: url.toString(), NODE_ENV: 'development', LOG_LEVEL: 'warn' }, 'tool');
  await recreate(serverUrl, name, false);
  const db = createDb(config, createLogger({ service: 'bench', version: 'bench', level: 'warn' }), { poolMax: 4 });
  await runMigrations(db, 'latest');
  return {
    config,
    db,
    async drop() {
      await db.destroy();
      await recreate(serverUrl, name, true);
    },
  };
}

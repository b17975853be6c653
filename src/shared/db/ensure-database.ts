import { Client } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';

/**
 * Creates the configured database when it is missing, by connecting to the server's `postgres`
 * database. For development and tests only: production databases are provisioned, not created.
 */
export async function ensureDatabaseExists(config: Config, log: Logger, connectionString = config.db.connectionString): Promise<void> {
  const target = new URL(connectionString);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`refusing to create a database with the name "${name}"`);
  const admin = new URL(connectionString);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), ssl: config.db.ssl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name}"`);
      log.info({ database: name }, 'database created');
    }
  } finally {
    await client.end();
  }
}

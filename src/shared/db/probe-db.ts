import knex from 'knex';
import type { Db } from './knex';
import { migrationConfig } from './migrate';

/**
 * A one-connection database handle for tools that only look (the config doctor): every wait is
 * bounded by `timeoutMs`, and knex's console logging is off so a tool's output is its own.
 */
export function openProbeDb(target: { connectionString: string; ssl: unknown }, timeoutMs: number, applicationName: string): Db {
  const quiet = () => undefined;
  return knex({
    client: 'pg',
    connection: {
      connectionString: target.connectionString,
      ssl: target.ssl as never,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      application_name: applicationName,
    },
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: timeoutMs,
    log: { warn: quiet, error: quiet, deprecate: quiet, debug: quiet },
  });
}

/** The server's version, as text and as `server_version_num` (e.g. 150004). */
export async function serverVersion(db: Db): Promise<{ version: string; num: number }> {
  const result: { rows: Array<{ version: string; num: number }> } = await db.raw("select current_setting('server_version') as version, current_setting('server_version_num')::int as num");
  return result.rows[0]!;
}

/** Whether migrations ever ran here; knex's own status call would create its tables, this only reads. */
export async function hasMigrationsTable(db: Db): Promise<boolean> {
  return db.schema.hasTable(migrationConfig().tableName!);
}

import knex, { type Knex } from 'knex';
import type { Config } from '../config';
import type { Logger } from '../logger';

export type Db = Knex;

export interface DbOptions {
  /** Overrides for tests and tools (a different database on the same server). */
  connectionString?: string;
  poolMax?: number;
  /** Server-side statement_timeout in ms; 0 sends none. Default: DATABASE_STATEMENT_TIMEOUT_MS (migrations pass 0). */
  statementTimeoutMs?: number;
}

/**
 * A knex instance whose pool survives outages: pg's defaults wait forever for a connection and
 * crash the process on a dropped one, so every wait here has a deadline and idle connections drop.
 */
export function createDb(config: Config, log: Logger, opts: DbOptions = {}): Db {
  // A request must answer fast (503) when the database is unreachable; a job can afford to wait longer.
  const isApi = config.role === 'api';
  // Sent with the connection's start-up packet, so every pooled connection has it without a SET
  // round trip (and without relying on session state a transaction-mode pooler would not keep).
  const statementTimeoutMs = opts.statementTimeoutMs ?? config.db.statementTimeoutMs;
  const db = knex({
    client: 'pg',
    connection: {
      connectionString: opts.connectionString ?? config.db.connectionString,
      ssl: config.db.ssl,
      connectionTimeoutMillis: isApi ? 2_000 : 5_000,
      // Queries that hang on a half-dead server must fail so jobs and requests can answer.
      query_timeout: 30_000,
      // The server cancels a statement running this long (a runaway query frees its connection
      // and its locks); query_timeout above only stops this process from waiting.
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
      keepAlive: true,
      application_name: `evara-${config.role}`,
    },
    pool: {
      min: 0,
      max: opts.poolMax ?? config.db.poolMax,
      idleTimeoutMillis: 30_000,
      afterCreate(conn: { on: (ev: string, fn: (err: Error) => void) => void }, done: (err: Error | null, c: unknown) => void) {
        // Without a listener an idle connection killed by a DB restart crashes the process.
        conn.on('error', (err) => log.warn({ err }, 'database connection lost'));
        done(null, conn);
      },
    },
    acquireConnectionTimeout: isApi ? 3_000 : 10_000,
    // knex otherwise prints to the console, unredacted; route it through pino.
    log: {
      warn: (message: unknown) => log.warn({ detail: String(message) }, 'knex warning'),
      error: (message: unknown) => log.debug({ detail: String(message) }, 'knex error'),
      deprecate: (message: unknown) => log.warn({ detail: String(message) }, 'knex deprecation'),
      debug: (message: unknown) => log.debug({ detail: String(message) }, 'knex debug'),
    },
  });
  return db;
}

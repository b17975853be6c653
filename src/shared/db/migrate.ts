import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createDb } from './knex';
import { ensureDatabaseExists } from './ensure-database';

// Compiled runs (dist/*.js) load .js migrations; tsx and ts-jest load the .ts sources.
const EXTENSION = path.extname(__filename) === '.ts' ? '.ts' : '.js';
const DIRECTORY = path.join(__dirname, 'migrations');
const TABLE = 'knex_migrations';

interface MigrationFile {
  file: string;
}

/**
 * Migrations are recorded WITHOUT their extension: the deployed service runs the compiled .js
 * files while `npm run doctor` or a tsx script sees the .ts sources, and with knex's default
 * names ("…_create_core_tables.js" vs ".ts") each would take the other's database for corrupt.
 */
const migrationSource: Knex.MigrationSource<MigrationFile> = {
  async getMigrations() {
    const files = await readdir(DIRECTORY);
    return files
      .filter((f) => f.endsWith(EXTENSION) && !f.endsWith('.d.ts'))
      .sort()
      .map((file) => ({ file }));
  },
  getMigrationName: (m) => migrationName(m.file),
  getMigration: async (m) => (await import(path.join(DIRECTORY, m.file))) as Knex.Migration,
};

export function migrationName(file: string): string {
  return file.replace(/\.(ts|js)$/, '');
}

export function migrationConfig(): Knex.MigratorConfig {
  return { migrationSource, tableName: TABLE };
}

/** Databases migrated before names lost their extension are renamed once, in place. */
async function normaliseRecordedNames(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable(TABLE))) return;
  await db(TABLE).whereRaw(`name ~ '\\.(ts|js)$'`).update({ name: db.raw(`regexp_replace(name, '\\.(ts|js)$', '')`) });
}

/**
 * Applied and pending migrations, read without writing anything (knex's own list creates its
 * tables when missing) and by name without extension, whatever wrote the records.
 */
export async function readMigrationState(db: Knex): Promise<{ applied: string[]; pending: string[] }> {
  const all = (await migrationSource.getMigrations([])).map((m) => migrationName(m.file));
  const names: string[] = (await db.schema.hasTable(TABLE)) ? await db(TABLE).orderBy('id').pluck('name') : [];
  const applied = names.map(migrationName);
  const done = new Set(applied);
  return { applied, pending: all.filter((name) => !done.has(name)) };
}

export type MigrateCommand = 'latest' | 'rollback' | 'rollback-all' | 'status';

export async function runMigrations(db: Knex, command: MigrateCommand = 'latest'): Promise<string[]> {
  const cfg = migrationConfig();
  if (command !== 'status') await normaliseRecordedNames(db);
  switch (command) {
    case 'latest': {
      const [, applied] = (await db.migrate.latest(cfg)) as [number, string[]];
      return applied;
    }
    case 'rollback': {
      const [, undone] = (await db.migrate.rollback(cfg)) as [number, string[]];
      return undone;
    }
    case 'rollback-all': {
      const [, undone] = (await db.migrate.rollback(cfg, true)) as [number, string[]];
      return undone;
    }
    case 'status':
      return (await readMigrationState(db)).pending;
  }
}

/** CLI: `node dist/shared/db/migrate.js [latest|rollback|rollback-all|status]` (Render preDeploy). */
async function main(): Promise<void> {
  const command = (process.argv[2] ?? 'latest') as MigrateCommand;
  if (!['latest', 'rollback', 'rollback-all', 'status'].includes(command)) {
    process.stderr.write(`usage: migrate [latest|rollback|rollback-all|status]\n`);
    process.exit(2);
  }
  const config = loadConfig(process.env, 'tool');
  const log = createLogger({ service: 'migrate', version: config.version, level: config.logLevel });
  if (command === 'latest' && config.env !== 'production') await ensureDatabaseExists(config, log);
  // A migration may rewrite a big table: no server-side statement timeout here.
  const db = createDb(config, log, { poolMax: 1, statementTimeoutMs: 0 });
  try {
    const files = await runMigrations(db, command);
    log.info({ command, files, database: config.db.database, host: config.db.host }, 'migrations done');
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    const log = createLogger({ service: 'migrate', version: 'dev', level: 'info' });
    log.fatal({ err }, 'migration failed');
    process.exit(1);
  });
}

import path from 'node:path';
import type { Knex } from 'knex';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createDb } from './knex';
import { ensureDatabaseExists } from './ensure-database';

// Compiled runs (dist/*.js) load .js migrations; tsx and ts-jest load the .ts sources.
const EXTENSION = path.extname(__filename) === '.ts' ? '.ts' : '.js';

export function migrationConfig(): Knex.MigratorConfig {
  return {
    directory: path.join(__dirname, 'migrations'),
    loadExtensions: [EXTENSION],
    tableName: 'knex_migrations',
  };
}

export type MigrateCommand = 'latest' | 'rollback' | 'rollback-all' | 'status';

export async function runMigrations(db: Knex, command: MigrateCommand = 'latest'): Promise<string[]> {
  const cfg = migrationConfig();
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
    case 'status': {
      const [, pending] = (await db.migrate.list(cfg)) as [unknown[], Array<{ file: string }>];
      return pending.map((p) => p.file);
    }
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
  const db = createDb(config, log, { poolMax: 1 });
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

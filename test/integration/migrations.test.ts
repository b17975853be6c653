import { Client } from 'pg';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { createDb } from '../../src/shared/db/knex';
import { readMigrationState, runMigrations } from '../../src/shared/db/migrate';
import { itDatabaseUrl, withDatabase } from '../setup/test-env';

/** Migrations on a database of their own: apply on empty, roll back to empty, apply again. */
describe('migrations', () => {
  const name = `evara_migrations_${process.pid}`;
  const serverUrl = itDatabaseUrl();

  async function admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin(`CREATE DATABASE "${name}"`);
  });

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  test('when migrated on an empty database, then every table and the default community exist; rollback leaves it empty; they apply again', async () => {
    const config = loadConfig({ DATABASE_URL: withDatabase(serverUrl, name), NODE_ENV: 'test' }, 'tool');
    const db = createDb(config, createLogger({ service: 'test', version: 'test', level: 'silent' }), { poolMax: 1 });
    // Partitions of readings (one a day, and the default) are not tables of their own here.
    const tables = async () =>
      (
        await db('pg_tables')
          .join('pg_class', 'pg_class.relname', 'pg_tables.tablename')
          .where({ schemaname: 'public', 'pg_class.relispartition': false })
          .whereIn('pg_class.relkind', ['r', 'p'])
          .whereNot('tablename', 'like', 'knex_%')
          .pluck('tablename')
      ).sort();
    try {
      const applied = await runMigrations(db, 'latest');
      expect(applied.length).toBeGreaterThan(0);
      expect(await tables()).toEqual([
        'alert_condition_state',
        'alert_rules',
        'alerts',
        'api_keys',
        'audit_log',
        'channel_epochs',
        'channel_sync_state',
        'communities',
        'distributors',
        'maintenance_windows',
        'node_channels',
        'node_state',
        'nodes',
        'notifications',
        'reading_rollups',
        'readings',
        'rollup_progress',
        'rollup_rebuilds',
        'users',
        'webhook_subscriptions',
      ]);
      expect(await db('communities').where({ slug: 'default' }).first('slug')).toEqual({ slug: 'default' });
      expect(await runMigrations(db, 'status')).toEqual([]);

      expect(await runMigrations(db, 'rollback-all')).toEqual([...applied].reverse());
      expect(await tables()).toEqual([]);

      expect(await runMigrations(db, 'latest')).toEqual(applied);
      expect(applied.every((name) => !/\.(ts|js)$/.test(name))).toBe(true);

      // Records written by the compiled service (".js") read the same from the .ts sources, and
      // the old names with an extension are normalised by the next migrate run.
      await db('knex_migrations').update({ name: db.raw(`name || '.js'`) });
      expect(await runMigrations(db, 'status')).toEqual([]);
      expect((await readMigrationState(db)).applied).toEqual(applied);
      expect(await runMigrations(db, 'latest')).toEqual([]);
      expect(await db('knex_migrations').orderBy('id').pluck('name')).toEqual(applied);
    } finally {
      await db.destroy();
    }
  });
});

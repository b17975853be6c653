import type { Knex } from 'knex';

const TABLES = ['alert_rules', 'maintenance_windows', 'webhook_subscriptions'] as const;

/**
 * Who created each alert rule, maintenance window and webhook subscription: the API key and its
 * role, so a tenant may change only what it (or, for a distributor, its customers) created. Rows
 * from before this migration, and rows written without a creator (seeds, tools), count as a
 * superadmin's: no tenant can change what nobody can vouch for. A key's deletion keeps the role
 * and forgets the key. Named so a `created_by_user_id` can join them when users arrive.
 * No CHECK on the role: the values are written only from ROLES (auth/scope.ts), and code reading
 * an unknown role treats it as a superadmin's (tenancy/creator.ts).
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.uuid('created_by_key_id').nullable().references('id').inTable('api_keys').onDelete('SET NULL');
      // A constant default: Postgres fills existing rows without rewriting the table.
      t.text('created_by_role').notNullable().defaultTo('superadmin');
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('created_by_role');
      t.dropColumn('created_by_key_id');
    });
  }
}

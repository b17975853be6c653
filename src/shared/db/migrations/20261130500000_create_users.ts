import type { Knex } from 'knex';

// Frozen copy of ROLES (src/shared/auth/scope.ts); test/integration/db/domain-enums.test.ts fails when they drift.
const USER_ROLES = ['superadmin', 'distributor', 'customer'] as const;
const OWNED_TABLES = ['alert_rules', 'maintenance_windows', 'webhook_subscriptions'] as const;

/**
 * People who sign in with Supabase. A user's id is the access token's `sub`; the role and scope
 * live here, never in the token (its user_metadata is the user's to edit). Same role and scope
 * rules as api_keys. `disabled_at` refuses the user without forgetting who it was.
 * Owned rows and audit entries can now name a user as their creator / actor, beside a key.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    /** Supabase auth user id (the token's sub). */
    t.uuid('id').primary();
    t.text('email').nullable();
    t.text('label').nullable();
    t.text('role').notNullable();
    t.uuid('distributor_id').nullable().references('id').inTable('distributors').onDelete('CASCADE');
    t.uuid('community_id').nullable().references('id').inTable('communities').onDelete('CASCADE');
    /** How the user came to exist here: 'api' (POST /users) or 'app_metadata' (AUTH_TRUST_APP_METADATA). */
    t.text('provisioned_via').notNullable().defaultTo('api');
    t.timestamp('disabled_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['community_id']);
    t.index(['distributor_id']);
  });
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN (${USER_ROLES.map((r) => `'${r}'`).join(', ')}))`);
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_scope_check CHECK (
    (role = 'superadmin' AND distributor_id IS NULL AND community_id IS NULL) OR
    (role = 'distributor' AND distributor_id IS NOT NULL AND community_id IS NULL) OR
    (role = 'customer' AND community_id IS NOT NULL AND distributor_id IS NULL))`);

  for (const table of OWNED_TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.uuid('created_by_user_id').nullable().references('id').inTable('users').onDelete('SET NULL');
    });
  }
  await knex.schema.alterTable('audit_log', (t) => {
    /** The user who acted (no foreign key: the entry outlives the user; actor_label keeps its email). */
    t.uuid('actor_user_id').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => t.dropColumn('actor_user_id'));
  for (const table of OWNED_TABLES) {
    await knex.schema.alterTable(table, (t) => t.dropColumn('created_by_user_id'));
  }
  await knex.schema.dropTableIfExists('users');
}

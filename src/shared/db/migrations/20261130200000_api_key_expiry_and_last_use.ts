import type { Knex } from 'knex';

/**
 * Keys that die: an optional expiry per key, and a mark on the keys that ADMIN_API_KEY bootstrapped
 * (with when), so a start with a new ADMIN_API_KEY can revoke the older ones and only those.
 * last_used_at already exists; its writes are throttled in SQL from now on (api-keys.repository.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    /** When the key stops working; NULL: never. */
    t.timestamp('expires_at', { useTz: true }).nullable();
    /** When ADMIN_API_KEY first made this key the bootstrap superadmin; NULL for keys issued through the API. */
    t.timestamp('bootstrapped_at', { useTz: true }).nullable();
  });
  // Before this migration the bootstrap key was recognisable only by the label it was stored with.
  await knex('api_keys').where({ label: 'bootstrap (ADMIN_API_KEY)', role: 'superadmin' }).update({ bootstrapped_at: knex.ref('created_at') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropColumn('bootstrapped_at');
    t.dropColumn('expires_at');
  });
}

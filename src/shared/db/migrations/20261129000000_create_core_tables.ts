import type { Knex } from 'knex';

export const NODE_CATEGORIES = ['OHT', 'Sump', 'Borewell', 'GovtBorewell', 'PumpHouse', 'FlowMeter'] as const;
export const ANALYTICS_TYPES = ['EvaraTank', 'EvaraDeep', 'EvaraFlow'] as const;
export const NODE_STATUSES = ['provisioning', 'Online', 'Offline', 'Alert', 'Maintenance'] as const;
export const API_KEY_ROLES = ['superadmin', 'distributor', 'customer'] as const;

const inList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('distributors', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('communities', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('distributor_id').nullable().references('id').inTable('distributors').onDelete('RESTRICT');
    t.text('slug').notNullable().unique();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['distributor_id']);
  });
  await knex('communities').insert({ slug: 'default', name: 'Default community' });

  await knex.schema.createTable('nodes', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('community_id').notNullable().references('id').inTable('communities').onDelete('RESTRICT');
    t.text('node_key').notNullable().unique();
    t.text('label').notNullable();
    t.text('category').notNullable();
    t.text('analytics_type').notNullable();
    t.jsonb('config').notNullable().defaultTo('{}');
    t.double('lat').nullable();
    t.double('lng').nullable();
    t.text('location_name').nullable();
    t.text('status').notNullable().defaultTo('provisioning');
    t.timestamp('last_seen_at', { useTz: true }).nullable();
    /** Seconds between writes the device is expected to keep; data older than 3x this is offline. */
    t.integer('expected_interval_s').notNullable().defaultTo(900);
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['community_id', 'label']);
  });
  await knex.raw(`ALTER TABLE nodes ADD CONSTRAINT nodes_category_check CHECK (category IN (${inList(NODE_CATEGORIES)}))`);
  await knex.raw(`ALTER TABLE nodes ADD CONSTRAINT nodes_analytics_type_check CHECK (analytics_type IN (${inList(ANALYTICS_TYPES)}))`);
  await knex.raw(`ALTER TABLE nodes ADD CONSTRAINT nodes_status_check CHECK (status IN (${inList(NODE_STATUSES)}))`);
  await knex.raw('ALTER TABLE nodes ADD CONSTRAINT nodes_expected_interval_check CHECK (expected_interval_s > 0)');

  await knex.schema.createTable('node_channels', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.bigInteger('channel_id').notNullable();
    /** AES-256-GCM ciphertext (see crypto/secret-box.ts); the plaintext key is never stored. */
    t.text('read_key_encrypted').nullable();
    t.jsonb('field_mapping').notNullable().defaultTo('{}');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['node_id', 'channel_id']);
    t.index(['channel_id']);
  });
  await knex.raw('ALTER TABLE node_channels ADD CONSTRAINT node_channels_channel_id_check CHECK (channel_id > 0)');

  await knex.schema.createTable('channel_sync_state', (t) => {
    t.uuid('node_channel_id').primary().references('id').inTable('node_channels').onDelete('CASCADE');
    /** Incremented when ThingSpeak's channel was cleared (its entry ids restart at 1). */
    t.integer('epoch').notNullable().defaultTo(0);
    /** The cursor: highest entry id stored in the current epoch (0 = nothing yet). */
    t.integer('last_entry_id').notNullable().defaultTo(0);
    t.timestamp('last_entry_at', { useTz: true }).nullable();
    /** ThingSpeak's last_entry_id as of the latest successful poll. */
    t.integer('remote_last_entry_id').nullable();
    t.bigInteger('stored_count').notNullable().defaultTo(0);
    /** Time up to which every window has been fetched; the next poll starts a little before it. */
    t.timestamp('fetched_until', { useTz: true }).nullable();
    t.integer('missing_entries').notNullable().defaultTo(0);
    t.timestamp('last_poll_at', { useTz: true }).nullable();
    t.timestamp('last_success_at', { useTz: true }).nullable();
    t.text('last_error').nullable();
    t.text('last_error_code').nullable();
    t.timestamp('last_error_at', { useTz: true }).nullable();
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('cleared_at', { useTz: true }).nullable();
    /** Outbox for the alerts job: entries stored but not yet handed to the alerts queue. */
    t.integer('eval_from_entry_id').nullable();
    t.integer('eval_to_entry_id').nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('readings', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('node_channel_id').notNullable().references('id').inTable('node_channels').onDelete('CASCADE');
    t.uuid('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.integer('epoch').notNullable().defaultTo(0);
    t.integer('entry_id').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable();
    /** Field values exactly as ThingSpeak sent them: {"field1": "30.72\r\n"}. */
    t.jsonb('raw').notNullable();
    /** Parsed per field: {"field1": {"value": 30.72, "status": "ok"}}. */
    t.jsonb('parsed').notNullable();
    t.timestamp('ingested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // One row per ThingSpeak entry: a re-fetch or a retried job inserts nothing twice.
    t.unique(['node_channel_id', 'epoch', 'entry_id']);
    t.index(['node_id', 'recorded_at']);
    t.index(['node_channel_id', 'recorded_at']);
  });

  await knex.schema.createTable('node_state', (t) => {
    t.uuid('node_id').primary().references('id').inTable('nodes').onDelete('CASCADE');
    t.timestamp('last_reading_at', { useTz: true }).nullable();
    t.bigInteger('last_reading_id').nullable();
    /** Latest number per mapped alias, e.g. {"distance_cm": 46, "temperature": 27.1}. */
    t.jsonb('metrics').notNullable().defaultTo('{}');
    t.double('level_pct').nullable();
    t.double('volume_l').nullable();
    t.double('capacity_l').nullable();
    t.double('flow_rate').nullable();
    t.double('depth_m').nullable();
    /** Why a derived value is missing, e.g. "distance missing or 0: invalid reading". */
    t.text('derivation_note').nullable();
    t.boolean('online').notNullable().defaultTo(false);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    /** Public lookup part of the key ("evk_<prefix>_<secret>"), safe to show and log. */
    t.text('key_prefix').notNullable().unique();
    /** SHA-256 of the whole key: keys are random 256-bit values, so a slow hash adds nothing. */
    t.text('key_hash').notNullable().unique();
    t.text('label').notNullable();
    t.text('role').notNullable();
    t.uuid('distributor_id').nullable().references('id').inTable('distributors').onDelete('CASCADE');
    t.uuid('community_id').nullable().references('id').inTable('communities').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
  });
  await knex.raw(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN (${inList(API_KEY_ROLES)}))`);
  await knex.raw(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (
    (role = 'superadmin' AND distributor_id IS NULL AND community_id IS NULL) OR
    (role = 'distributor' AND distributor_id IS NOT NULL AND community_id IS NULL) OR
    (role = 'customer' AND community_id IS NOT NULL))`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['api_keys', 'node_state', 'readings', 'channel_sync_state', 'node_channels', 'nodes', 'communities', 'distributors']) {
    await knex.schema.dropTableIfExists(table);
  }
}

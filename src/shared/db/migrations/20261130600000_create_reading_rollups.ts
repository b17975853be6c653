import type { Knex } from 'knex';

/**
 * Hourly and daily summaries of each node's metrics (rollups/*), kept longer than raw readings.
 *
 * One row per (node channel, metric, width, bucket start): a node with two channels has two rows
 * for a bucket, merged when read. Keeping channels apart makes a purge of one channel's readings
 * remove exactly that channel's share, and a detached channel keep its own. No node id: a node's
 * rows are found through its few channels, and the table (kept two years) is a third smaller
 * without it and the index it would need.
 *
 * `sum` is numeric, not float8: numeric addition is exact, so the sum (and the average) does not
 * depend on the order readings were folded in, and a recomputation from the raw rows gives the same
 * digits. first/last carry their reading's (recorded_at, channel epoch, entry id): the tie-break
 * that makes them independent of arrival order too.
 *
 * rollup_progress: per channel epoch, every stored reading with an entry id up to last_entry_id is
 * folded into the rollups; `closed` once a past epoch (the channel was cleared since) is folded whole.
 *
 * rollup_rebuilds: nodes whose readings changed meaning (analytics type, config, field mapping)
 * and whose buckets the update-rollups job is to rebuild from their stored readings.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE reading_rollups (
      node_channel_id uuid NOT NULL REFERENCES node_channels (id) ON DELETE CASCADE,
      metric text NOT NULL,
      bucket text NOT NULL CHECK (bucket IN ('1h', '1d')),
      bucket_start timestamptz NOT NULL,
      count integer NOT NULL,
      sum numeric NOT NULL,
      min double precision NOT NULL,
      max double precision NOT NULL,
      first double precision NOT NULL,
      first_at timestamptz NOT NULL,
      first_epoch_id integer NOT NULL,
      first_entry_id integer NOT NULL,
      last double precision NOT NULL,
      last_at timestamptz NOT NULL,
      last_epoch_id integer NOT NULL,
      last_entry_id integer NOT NULL,
      CONSTRAINT reading_rollups_pkey PRIMARY KEY (node_channel_id, metric, bucket, bucket_start)
    ) WITH (fillfactor = 80)`);
  // Retention deletes by age, hours and days each after their own number of days: an ordered scan
  // of one width's expired buckets, never a walk past the kept buckets of the other width.
  await knex.raw('CREATE INDEX reading_rollups_bucket_start_index ON reading_rollups (bucket, bucket_start)');

  await knex.schema.createTable('rollup_progress', (t) => {
    t.integer('channel_epoch_id').primary().references('id').inTable('channel_epochs').onDelete('CASCADE');
    t.integer('last_entry_id').notNullable();
    t.boolean('closed').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('rollup_rebuilds', (t) => {
    t.uuid('node_id').primary().references('id').inTable('nodes').onDelete('CASCADE');
    t.timestamp('requested_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rollup_rebuilds');
  await knex.schema.dropTable('rollup_progress');
  await knex.schema.dropTable('reading_rollups');
}

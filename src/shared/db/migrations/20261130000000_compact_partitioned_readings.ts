import type { Knex } from 'knex';
import { decodeFields, encodeFields, type FieldTexts, type RawRemainder } from '../../readings/reading-codec';

/**
 * Readings go from ~500 bytes a row (two uuids, a bigserial, raw and parsed jsonb, four indexes) to
 * under 100: a 4-byte channel epoch id instead of channel uuid + node uuid + epoch, the parsed
 * numbers of fields 1-4 in float8 columns f1..f4, and in `raw` only the texts those numbers do not
 * give back (and those of fields 5-8)
 * (readings/reading-codec.ts). The primary key (channel epoch, entry id, recorded time) is the only
 * index. Partitioned by UTC day so retention drops whole days.
 *
 * Rows are converted in JavaScript by the same codec the service decodes them with, so every
 * reading reads back exactly as before. Frozen values (table layout, window) are written out here.
 */

const DAY_MS = 86_400_000;
const BATCH = 10_000;
/** Past days that get a partition when they hold data: the retention default. Older rows go to the default partition. */
const DAYS_BACK = 30;
const DAYS_AHEAD = 7;
// field1..field4 as numbers; field5..field8 keep their text in raw (see reading-codec.ts).
const FIELDS = ['f1', 'f2', 'f3', 'f4'];

const partitionName = (day: Date) => `readings_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('channel_epochs', (t) => {
    t.increments('id').primary();
    t.uuid('node_channel_id').notNullable().references('id').inTable('node_channels').onDelete('CASCADE');
    t.integer('epoch').notNullable();
    t.unique(['node_channel_id', 'epoch']);
  });
  // Each channel's current epoch, and every epoch its readings were stored in; ids in epoch order.
  await knex.raw(`
    INSERT INTO channel_epochs (node_channel_id, epoch)
    SELECT node_channel_id, epoch FROM channel_sync_state
    UNION
    SELECT DISTINCT node_channel_id, epoch FROM readings
    ORDER BY 1, 2`);

  // Columns ordered for alignment: 8-byte time, two 4-byte ints, then the 8-byte floats.
  await knex.raw(`
    CREATE TABLE readings_new (
      recorded_at timestamptz NOT NULL,
      channel_epoch_id integer NOT NULL,
      entry_id integer NOT NULL,
      ${FIELDS.map((f) => `${f} double precision`).join(',\n      ')},
      raw jsonb,
      CONSTRAINT readings_new_pkey PRIMARY KEY (channel_epoch_id, entry_id, recorded_at),
      CONSTRAINT readings_channel_epoch_id_foreign FOREIGN KEY (channel_epoch_id) REFERENCES channel_epochs (id) ON DELETE CASCADE
    ) PARTITION BY RANGE (recorded_at)`);
  for (const day of await partitionDays(knex)) {
    const to = new Date(day.getTime() + DAY_MS);
    await knex.raw(`CREATE TABLE ${partitionName(day)} PARTITION OF readings_new FOR VALUES FROM ('${day.toISOString()}') TO ('${to.toISOString()}')`);
  }
  await knex.raw('CREATE TABLE readings_default PARTITION OF readings_new DEFAULT');

  await copyToCompact(knex);

  await knex.schema.dropTable('readings');
  await knex.raw('ALTER TABLE readings_new RENAME TO readings');
  await knex.raw('ALTER INDEX readings_new_pkey RENAME TO readings_pkey');
  // Written by nothing and read by nothing: readings have no surrogate id any more.
  await knex.schema.alterTable('node_state', (t) => t.dropColumn('last_reading_id'));
  await knex.raw('ANALYZE readings');
}

/** Today and the week ahead, and each of the last DAYS_BACK days that holds readings (UTC). */
async function partitionDays(knex: Knex): Promise<Date[]> {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const { rows } = await knex.raw<{ rows: Array<{ day: Date }> }>(
    `SELECT DISTINCT date_trunc('day', recorded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day FROM readings WHERE recorded_at >= ? AND recorded_at < ?`,
    [new Date(today - DAYS_BACK * DAY_MS), new Date(today + (DAYS_AHEAD + 1) * DAY_MS)],
  );
  const days = new Set(rows.map((r) => r.day.getTime()));
  for (let d = 0; d <= DAYS_AHEAD; d++) days.add(today + d * DAY_MS);
  return [...days].sort((a, b) => a - b).map((t) => new Date(t));
}

interface OldReading {
  id: string;
  channel_epoch_id: number;
  entry_id: number;
  recorded_at: Date;
  raw: Record<string, unknown> | null;
}

/** The raw jsonb as the feed gave it: strings or null per field (anything else as its JSON text). */
function fieldTexts(raw: Record<string, unknown> | null): FieldTexts {
  const fields: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(raw ?? {})) fields[key] = value === null || typeof value === 'string' ? value : JSON.stringify(value);
  return fields;
}

async function copyToCompact(knex: Knex): Promise<void> {
  const insert = `
    INSERT INTO readings_new (recorded_at, channel_epoch_id, entry_id, ${FIELDS.join(', ')}, raw)
    SELECT * FROM unnest(?::timestamptz[], ?::int4[], ?::int4[], ${FIELDS.map(() => '?::float8[]').join(', ')}, ?::jsonb[])`;
  let after = '0';
  for (;;) {
    const { rows } = await knex.raw<{ rows: OldReading[] }>(
      `SELECT r.id, e.id AS channel_epoch_id, r.entry_id, r.recorded_at, r.raw
       FROM readings r JOIN channel_epochs e ON e.node_channel_id = r.node_channel_id AND e.epoch = r.epoch
       WHERE r.id > ?::bigint ORDER BY r.id LIMIT ?`,
      [after, BATCH],
    );
    if (rows.length === 0) return;
    const columns: unknown[][] = Array.from({ length: 4 + FIELDS.length }, () => []);
    for (const r of rows) {
      const encoded = encodeFields(fieldTexts(r.raw));
      [r.recorded_at, r.channel_epoch_id, r.entry_id, ...encoded.values, encoded.raw === null ? null : JSON.stringify(encoded.raw)].forEach((v, i) => columns[i]!.push(v));
    }
    await knex.raw(insert, columns as unknown as Knex.RawBinding[]);
    after = rows[rows.length - 1]!.id;
  }
}

interface CompactReading {
  recorded_at: Date;
  recorded_at_text: string;
  channel_epoch_id: number;
  entry_id: number;
  node_channel_id: string;
  node_id: string;
  epoch: number;
  raw: RawRemainder | null;
  [field: string]: unknown;
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE readings RENAME TO readings_compact');
  await knex.raw('ALTER INDEX readings_pkey RENAME TO readings_compact_pkey');
  // The layout of 20261129000000_create_core_tables and the index of 20261129100000_create_alerting_tables.
  await knex.schema.createTable('readings', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('node_channel_id').notNullable().references('id').inTable('node_channels').onDelete('CASCADE');
    t.uuid('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.integer('epoch').notNullable().defaultTo(0);
    t.integer('entry_id').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable();
    t.jsonb('raw').notNullable();
    t.jsonb('parsed').notNullable();
    t.timestamp('ingested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['node_channel_id', 'epoch', 'entry_id']);
    t.index(['node_id', 'recorded_at']);
    t.index(['node_channel_id', 'recorded_at']);
  });
  await knex.schema.alterTable('readings', (t) => t.index(['recorded_at'], 'readings_recorded_at_index'));

  // Keyset on the primary key; ingested_at was not kept, so it becomes the time of this rollback.
  // An entry id stored twice in one epoch with two times (which the new key allows) keeps its first.
  const insert = `
    INSERT INTO readings (node_channel_id, node_id, epoch, entry_id, recorded_at, raw, parsed)
    SELECT * FROM unnest(?::uuid[], ?::uuid[], ?::int4[], ?::int4[], ?::timestamptz[], ?::jsonb[], ?::jsonb[])
    ON CONFLICT DO NOTHING`;
  // The time is carried as text: a Date would round microseconds and select the last row again.
  let after: [number, number, string] = [0, 0, '-infinity'];
  for (;;) {
    const { rows } = await knex.raw<{ rows: CompactReading[] }>(
      `SELECT r.*, r.recorded_at::text AS recorded_at_text, e.node_channel_id, e.epoch, c.node_id
       FROM readings_compact r JOIN channel_epochs e ON e.id = r.channel_epoch_id JOIN node_channels c ON c.id = e.node_channel_id
       WHERE (r.channel_epoch_id, r.entry_id, r.recorded_at) > (?, ?, ?::timestamptz)
       ORDER BY r.channel_epoch_id, r.entry_id, r.recorded_at LIMIT ?`,
      [...after, BATCH],
    );
    if (rows.length === 0) break;
    const columns: unknown[][] = Array.from({ length: 7 }, () => []);
    for (const r of rows) {
      const { raw, parsed } = decodeFields(
        FIELDS.map((f) => r[f] as number | null),
        r.raw,
      );
      [r.node_channel_id, r.node_id, r.epoch, r.entry_id, r.recorded_at, JSON.stringify(raw), JSON.stringify(parsed)].forEach((v, i) => columns[i]!.push(v));
    }
    await knex.raw(insert, columns as unknown as Knex.RawBinding[]);
    const last = rows[rows.length - 1]!;
    after = [last.channel_epoch_id, last.entry_id, last.recorded_at_text];
  }

  await knex.schema.dropTable('readings_compact');
  await knex.schema.dropTable('channel_epochs');
  await knex.schema.alterTable('node_state', (t) => t.bigInteger('last_reading_id').nullable());
}

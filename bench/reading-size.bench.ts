/**
 * Bytes per reading on disk: `npm run bench:size` (not part of npm test).
 * In its own throwaway database `evara_bench_reading_size` on the DATABASE_URL server, stores
 * BENCH_CHANNELS (1000) channels x BENCH_ENTRIES (200) readings, one or two fields each and 2% messy
 * texts, in time order across channels (as polls do), through insertReadings into the compact
 * day-partitioned `readings`, and the same readings into `readings_old_layout` (the layout before
 * 20261130000000, with its four indexes). Prints heap, index and total bytes per reading after
 * VACUUM for both, the compact one as inserted and once finished days are compacted, and new/old.
 * Then again for two common device habits that make the codec keep texts: fixed decimals
 * ("46.30", 1 text in 10 ends in 0) and fields a channel defines but an entry does not write.
 */
import { openBenchDatabase } from './bench-database';
import type { Db } from '../src/shared/db/knex';
import { ensureReadingPartitions } from '../src/shared/readings/reading-partitions';
import { insertReadings, type ReadingToStore } from '../src/shared/readings/reading-writer';
import type { FieldTexts } from '../src/shared/readings/reading-codec';
import { parseFieldValue } from '../src/shared/thingspeak/field-value';

const DB_NAME = 'evara_bench_reading_size';
const STEP_MS = 15 * 60_000;
const out = (line = '') => process.stdout.write(`${line}\n`);

interface Channel {
  nodeChannelId: string;
  nodeId: string;
  channelEpochId: number;
}

/** Deterministic pseudo-random numbers, so every run stores the same bytes. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** How devices write their fields: the brief's case, and two common ones that cost `raw` texts. */
interface Scenario {
  name: string;
  fieldsOf(rand: () => number, channel: number): FieldTexts;
}

// 2% of texts are messy ("\r\n" after the number, a leading space, "nan", "", a trailing zero).
const messy = (rand: () => number, text: string) => (rand() < 0.02 ? [`${text}\r\n`, ` ${text}`, 'nan', `${text}0`, ''][Math.floor(rand() * 5)]! : text);
// A number as JavaScript prints it ("46.3"), or with fixed decimals as C firmware often does ("46.30").
const shortest = (x: number, decimals: number) => String(Number(x.toFixed(decimals)));
const fixed = (x: number, decimals: number) => x.toFixed(decimals);

/** Distance in cm on every channel, temperature on odd ones (one or two fields). */
const twoFields = (print: (x: number, decimals: number) => string) => (rand: () => number, channel: number) => {
  const fields: FieldTexts = { field1: messy(rand, print(20 + rand() * 140, 2)) };
  if (channel % 2 === 1) fields.field2 = messy(rand, print(24 + rand() * 8, 1));
  return fields;
};

const SCENARIOS: Scenario[] = [
  { name: '1-2 fields, 2% messy texts', fieldsOf: twoFields(shortest) },
  { name: 'same, printed with fixed decimals ("46.30")', fieldsOf: twoFields(fixed) },
  {
    name: 'same, channel defines 2 more fields never written (null)',
    fieldsOf: (rand, channel) => ({ ...twoFields(shortest)(rand, channel), field7: null, field8: null }),
  },
];

async function createChannels(db: Db, count: number): Promise<Channel[]> {
  const community = (await db('communities').where({ slug: 'default' }).first('id')) as { id: string };
  await db.raw(
    `INSERT INTO nodes (node_key, label, category, analytics_type, community_id) SELECT 'size-' || g, 'Size ' || g, 'OHT', 'EvaraTank', ? FROM generate_series(1, ?) g`,
    [community.id, count],
  );
  await db.raw(`INSERT INTO node_channels (node_id, channel_id) SELECT id, row_number() OVER (ORDER BY node_key) FROM nodes WHERE node_key LIKE 'size-%'`);
  await db.raw('INSERT INTO channel_epochs (node_channel_id, epoch) SELECT id, 0 FROM node_channels ORDER BY channel_id');
  const { rows } = await db.raw<{ rows: Array<{ node_channel_id: string; node_id: string; id: number }> }>(
    'SELECT e.id, e.node_channel_id, c.node_id FROM channel_epochs e JOIN node_channels c ON c.id = e.node_channel_id ORDER BY c.channel_id',
  );
  return rows.map((r) => ({ nodeChannelId: r.node_channel_id, nodeId: r.node_id, channelEpochId: r.id }));
}

/** The table and indexes of 20261129000000_create_core_tables (+ the recorded_at index of 20261129100000), without foreign keys. */
async function createOldLayout(db: Db): Promise<void> {
  await db.raw(`
    CREATE TABLE readings_old_layout (
      id bigserial PRIMARY KEY,
      node_channel_id uuid NOT NULL,
      node_id uuid NOT NULL,
      epoch integer NOT NULL DEFAULT 0,
      entry_id integer NOT NULL,
      recorded_at timestamptz NOT NULL,
      raw jsonb NOT NULL,
      parsed jsonb NOT NULL,
      ingested_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (node_channel_id, epoch, entry_id)
    )`);
  await db.raw('CREATE INDEX ON readings_old_layout (node_id, recorded_at)');
  await db.raw('CREATE INDEX ON readings_old_layout (node_channel_id, recorded_at)');
  await db.raw('CREATE INDEX ON readings_old_layout (recorded_at)');
}

/** The old poll path's row: every present field's text, and its parse. */
async function insertOldLayout(db: Db, rows: ReadingToStore[], byEpoch: Map<number, Channel>): Promise<void> {
  const columns: unknown[][] = [[], [], [], [], [], []];
  for (const r of rows) {
    const channel = byEpoch.get(r.channelEpochId)!;
    const parsed = Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, (({ value, status }) => ({ value, status }))(parseFieldValue(v))]));
    [channel.nodeChannelId, channel.nodeId, r.entryId, r.recordedAt, JSON.stringify(r.fields), JSON.stringify(parsed)].forEach((v, i) => columns[i]!.push(v));
  }
  await db.raw(
    `INSERT INTO readings_old_layout (node_channel_id, node_id, entry_id, recorded_at, raw, parsed)
     SELECT * FROM unnest(?::uuid[], ?::uuid[], ?::int4[], ?::timestamptz[], ?::jsonb[], ?::jsonb[])`,
    // node-pg sends each JS array as one array parameter; knex's binding type does not list arrays.
    columns as unknown as string[],
  );
}

interface Size {
  heap: number;
  index: number;
}

/** pg_table_size (heap, TOAST, free space and visibility maps) and pg_indexes_size, summed over partitions. */
async function sizeOf(db: Db, table: string): Promise<Size> {
  const { rows } = await db.raw<{ rows: Array<{ heap: string; index: string }> }>(
    `SELECT sum(pg_table_size(t)) AS heap, sum(pg_indexes_size(t)) AS index
     FROM (SELECT ?::regclass AS t UNION ALL SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = ?::regclass) tables`,
    [table, table],
  );
  return { heap: Number(rows[0]!.heap), index: Number(rows[0]!.index) };
}

async function measure(db: Db, channels: Channel[], entries: number, scenario: Scenario): Promise<void> {
  const byEpoch = new Map(channels.map((c) => [c.channelEpochId, c]));
  const total = channels.length * entries;
  await db.raw('TRUNCATE readings, readings_old_layout');
  const end = Date.now();
  const start = end - entries * STEP_MS;
  const rand = random(7);
  let newMs = 0;
  for (let n = 1; n <= entries; n++) {
    // One round: every channel's n-th entry, devices a little apart within the interval.
    const round: ReadingToStore[] = channels.map((c, i) => ({
      channelEpochId: c.channelEpochId,
      entryId: n,
      recordedAt: new Date(start + n * STEP_MS + Math.floor((i * STEP_MS) / channels.length)),
      fields: scenario.fieldsOf(rand, i),
    }));
    const t = performance.now();
    const inserted = await insertReadings(db, round);
    newMs += performance.now() - t;
    if (inserted.length !== round.length) throw new Error(`inserted ${inserted.length} of ${round.length}`);
    await insertOldLayout(db, round, byEpoch);
  }
  await db.raw('VACUUM (ANALYZE) readings');
  await db.raw('VACUUM (ANALYZE) readings_old_layout');
  const withRaw = Number(((await db.raw('SELECT count(*) AS n FROM readings WHERE raw IS NOT NULL')) as { rows: Array<{ n: string }> }).rows[0]!.n);

  const oldSize = await sizeOf(db, 'readings_old_layout');
  const newSize = await sizeOf(db, 'readings');
  // What compaction does to each finished day (reading-partition-compaction.ts), done to all days at once here.
  await db.raw('REINDEX TABLE readings');
  const compactSize = await sizeOf(db, 'readings');

  const per = (bytes: number) => (bytes / total).toFixed(1).padStart(7);
  const line = (label: string, sz: Size) => out(`  ${label.padEnd(34)}${per(sz.heap)}${per(sz.index)}${per(sz.heap + sz.index)}`);
  const ratio = (sz: Size) => ((sz.heap + sz.index) / (oldSize.heap + oldSize.index)).toFixed(3);
  out(`${scenario.name}: ${total} readings, ${((100 * withRaw) / total).toFixed(1)}% with a raw text kept, compact insert ${(total / (newMs / 1000)).toFixed(0)} readings/s`);
  out(`  ${'bytes per reading, after VACUUM'.padEnd(34)}${'heap'.padStart(7)}${'index'.padStart(7)}${'total'.padStart(7)}`);
  line('old layout (readings_old_layout)', oldSize);
  line('new layout, as inserted', newSize);
  line('new layout, days compacted', compactSize);
  out(`  ratio new/old: ${ratio(newSize)} as inserted, ${ratio(compactSize)} compacted`);
}

async function main(): Promise<void> {
  const channelCount = Number(process.env.BENCH_CHANNELS ?? 1_000);
  const entries = Number(process.env.BENCH_ENTRIES ?? 200);
  const { db, drop } = await openBenchDatabase(DB_NAME);
  try {
    const channels = await createChannels(db, channelCount);
    await createOldLayout(db);
    // Day partitions for every day the readings span, as the hourly job keeps them.
    await ensureReadingPartitions(db, new Date(), { daysBack: Math.ceil((entries * STEP_MS) / 86_400_000) + 1, daysAhead: 7 });
    out(`${channelCount} channels x ${entries} entries every 15 min, stored in time order across channels (as polls do)`);
    for (const scenario of SCENARIOS) await measure(db, channels, entries, scenario);
  } finally {
    await drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});

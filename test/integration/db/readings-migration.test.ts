import { isDeepStrictEqual } from 'node:util';
import type { Db } from '../../../src/shared/db/knex';
import { migrationConfig, readMigrationState, runMigrations } from '../../../src/shared/db/migrate';
import { decodeStored, type StoredFields } from '../../../src/shared/readings/reading-codec';
import { insertReadings } from '../../../src/shared/readings/reading-writer';
import { parseFieldValue } from '../../../src/shared/thingspeak/field-value';
import { openOwnDatabase } from '../../helpers/own-database';

/**
 * The migration to compact, day-partitioned readings, on a database of its own: old-shape rows of
 * several channels and epochs, messy texts, old and future dates; up keeps every reading exactly
 * (as the service decodes it) in the right partition; down gives the old shape and rows back.
 */

const MIGRATION = '20261130000000_compact_partitioned_readings';
const DAY_MS = 86_400_000;

const TEXTS: Array<string | null> = ['30.72', '30.720', ' 25.81', '30.72\r\n\r\n', 'nan', 'inf', '12,5', '1e3', '-0', '0', null, '', 'garbage', '46', '1012.4', '"q"\\', 'ü ✓'];

interface OldReading {
  node_channel_id: string;
  node_id: string;
  epoch: number;
  entry_id: number;
  recorded_at: Date;
  raw: Record<string, string | null>;
  parsed: Record<string, { value: number | null; status: string }>;
}

/** A reading as the old poll path stored it: every present field's text and its parse. */
function oldReading(target: { nodeChannelId: string; nodeId: string }, epoch: number, entryId: number, at: Date, fields: Record<string, string | null>): OldReading {
  const parsed: OldReading['parsed'] = {};
  for (const [field, text] of Object.entries(fields)) {
    const p = parseFieldValue(text);
    parsed[field] = { value: p.value, status: p.status };
  }
  return { node_channel_id: target.nodeChannelId, node_id: target.nodeId, epoch, entry_id: entryId, recorded_at: at, raw: fields, parsed };
}

const keyOf = (r: { node_channel_id: string; epoch: number; entry_id: number }) => `${r.node_channel_id}/${r.epoch}/${r.entry_id}`;

/** A field ThingSpeak sent as null (defined, not written) is stored as absent: it said nothing more. */
function withoutNullFields<T extends { raw: Record<string, string | null>; parsed: Record<string, unknown> }>(r: T): T {
  const kept = Object.keys(r.raw).filter((f) => r.raw[f] !== null);
  return { ...r, raw: Object.fromEntries(kept.map((f) => [f, r.raw[f]])), parsed: Object.fromEntries(kept.map((f) => [f, r.parsed[f]])) };
}

async function migrateUntil(db: Db, name: string): Promise<void> {
  for (;;) {
    const next = (await readMigrationState(db)).pending[0];
    if (next === undefined) throw new Error(`migration ${name} not found`);
    if (next === name) return;
    await db.migrate.up(migrationConfig());
  }
}

async function shape(db: Db) {
  const columns = async (table: string) => (await db('information_schema.columns').where({ table_schema: 'public', table_name: table }).pluck('column_name')).sort();
  return {
    readings: await columns('readings'),
    nodeState: await columns('node_state'),
    indexes: (await db('pg_indexes').where({ schemaname: 'public', tablename: 'readings' }).pluck('indexname')).sort(),
    constraints: (await db('pg_constraint').where('conrelid', db.raw(`'readings'::regclass`)).pluck('conname')).sort(),
  };
}

async function seed(db: Db, now: number): Promise<OldReading[]> {
  const community = (await db('communities').where({ slug: 'default' }).first('id')) as { id: string };
  const node = async (key: string) =>
    ((await db('nodes').insert({ node_key: key, label: key, category: 'OHT', analytics_type: 'EvaraTank', community_id: community.id }).returning('id')) as Array<{ id: string }>)[0]!.id;
  const channel = async (nodeId: string, channelId: number, epoch: number) => {
    const [row] = (await db('node_channels').insert({ node_id: nodeId, channel_id: channelId }).returning('id')) as Array<{ id: string }>;
    await db('channel_sync_state').insert({ node_channel_id: row!.id, epoch });
    return { nodeChannelId: row!.id, nodeId };
  };
  const n1 = await node('mig-1');
  const n2 = await node('mig-2');
  // A: cleared once (readings in epochs 0 and 1); B: one epoch, many readings; C: cleared twice, nothing stored since.
  const a = await channel(n1, 101, 1);
  const b = await channel(n1, 102, 0);
  const c = await channel(n2, 201, 2);

  const ago = (days: number, ms = 0) => new Date(now - days * DAY_MS - ms);
  const rows: OldReading[] = [];
  // Every messy text in each position, spread over dates that land in day partitions or the default one.
  const dates = [new Date(now), ago(3), ago(29), ago(45), new Date('2019-03-01T10:00:00Z'), ago(-3), ago(-30)];
  TEXTS.forEach((text, i) => {
    const at = dates[i % dates.length]!;
    rows.push(oldReading(a, 0, i + 1, at, { field1: text, field2: TEXTS[(i + 5) % TEXTS.length]! }));
    rows.push(oldReading(a, 1, i + 1, ago(0, i * 60_000), { field2: text }));
    rows.push(oldReading(c, 0, i + 1, ago(i % 5), { field1: '1', field3: text, field8: '8.00' }));
  });
  // More than one 10k batch of ordinary readings, a few with messy texts.
  for (let i = 1; i <= 12_500; i++) {
    const distance = `${(i % 1630) / 10}`;
    rows.push(oldReading(b, 0, i, ago(0, i * 60_000), i % 100 === 0 ? { field1: '27.50', field2: `${distance}\r\n` } : { field1: '27.5', field2: distance }));
  }
  for (let i = 0; i < rows.length; i += 1_000) await db('readings').insert(rows.slice(i, i + 1_000));
  return rows;
}

describe('migration to compact day-partitioned readings', () => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await openOwnDatabase('readings_migration'));
  });

  afterAll(async () => {
    await drop();
  });

  test('given old-shape readings, when migrated up, then each decodes exactly as before (null fields as absent) in the right partition; when migrated down, then the old shape and rows return', async () => {
    await migrateUntil(db, MIGRATION);
    const now = Date.now();
    const old = await seed(db, now);
    const oldShape = await shape(db);
    const oldByKey = new Map(old.map((r) => [keyOf(r), r]));

    await db.migrate.up(migrationConfig());

    // Channel epochs: each channel's current epoch and every epoch it has readings in, ids in epoch order.
    const epochs = (await db('channel_epochs').orderBy('id').select('id', 'node_channel_id', 'epoch')) as Array<{ id: number; node_channel_id: string; epoch: number }>;
    const byChannel = new Map<string, number[]>();
    for (const e of epochs) byChannel.set(e.node_channel_id, [...(byChannel.get(e.node_channel_id) ?? []), e.epoch]);
    expect([...byChannel.values()].map((list) => list.join(',')).sort()).toEqual(['0', '0,1', '0,2']);

    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const expectedPartition = (at: Date) =>
      at.getTime() >= today - 30 * DAY_MS && at.getTime() < today + 8 * DAY_MS ? `readings_p${at.toISOString().slice(0, 10).replace(/-/g, '')}` : 'readings_default';
    const { rows } = await db.raw<{ rows: Array<StoredFields & { recorded_at: Date; entry_id: number; node_channel_id: string; epoch: number; partition: string }> }>(
      `SELECT r.*, r.tableoid::regclass::text AS partition, e.node_channel_id, e.epoch FROM readings r JOIN channel_epochs e ON e.id = r.channel_epoch_id`,
    );
    expect(rows).toHaveLength(old.length);
    const wrong: unknown[] = [];
    for (const r of rows) {
      const before = oldByKey.get(keyOf(r));
      const decoded = decodeStored(r);
      const expected = before && { ...withoutNullFields({ raw: before.raw, parsed: before.parsed }), at: before.recorded_at.getTime(), partition: expectedPartition(before.recorded_at) };
      const actual = { raw: decoded.raw, parsed: decoded.parsed, at: r.recorded_at.getTime(), partition: r.partition };
      if (!expected || !isDeepStrictEqual(actual, expected)) wrong.push({ key: keyOf(r), expected, actual });
    }
    expect(wrong).toEqual([]);
    const partitions = new Set(rows.map((r) => r.partition));
    expect([...partitions].sort()).toEqual(expect.arrayContaining([...dayNames(today, [0, -3, -29, 3]), 'readings_default']));
    // Plain numbers keep no text: most rows have no raw at all.
    expect(rows.filter((r) => r.raw === null).length).toBeGreaterThan(12_000);

    // The primary key is the only index, and it still refuses a reading stored twice.
    expect(await db('pg_indexes').where({ schemaname: 'public', tablename: 'readings' }).pluck('indexname')).toEqual(['readings_pkey']);
    const b0 = epochs.find((e) => e.node_channel_id === old.find((r) => r.entry_id === 12_500)!.node_channel_id)!;
    const again = await insertReadings(db, [{ channelEpochId: b0.id, entryId: 1, recordedAt: new Date(now - 60_000), fields: { field1: '27.5', field2: '0.1' } }]);
    expect(again).toEqual([]);
    expect((await shape(db)).nodeState).not.toContain('last_reading_id');

    await db.migrate.down(migrationConfig());

    expect(await shape(db)).toEqual(oldShape);
    expect(await db.schema.hasTable('channel_epochs')).toBe(false);
    const back = (await db('readings').select('node_channel_id', 'node_id', 'epoch', 'entry_id', 'recorded_at', 'raw', 'parsed')) as OldReading[];
    expect(back).toHaveLength(old.length);
    const lost = back.filter((r) => !isDeepStrictEqual(r, withoutNullFields(oldByKey.get(keyOf(r))!)));
    expect(lost).toEqual([]);

    // And up again, as a redeploy after a rollback would.
    expect(await runMigrations(db, 'latest')).toContain(MIGRATION);
    expect(Number(((await db('readings').count({ n: '*' })) as Array<{ n: string }>)[0]!.n)).toBe(old.length);
  });
});

function dayNames(today: number, offsets: number[]): string[] {
  return offsets.map((d) => `readings_p${new Date(today + d * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '')}`);
}

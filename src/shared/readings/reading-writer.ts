import { columnArrays } from '../db/array-bindings';
import type { Conn } from '../db/transaction';
import type { ReadingRow } from '../db/tables';
import { encodeFields, FIELD_COLUMNS, type FieldTexts } from './reading-codec';

/** One ThingSpeak entry to store: its channel epoch, entry id, time and field texts. */
export interface ReadingToStore {
  channelEpochId: number;
  entryId: number;
  recordedAt: Date;
  fields: FieldTexts;
}

/** Which of the rows an insert actually stored (the caller still holds their values). */
export interface InsertedReading {
  channelEpochId: number;
  entryId: number;
  recordedAt: Date;
}

// One array per column keeps a statement at 12 bind parameters however many rows it carries, so
// rows of many channels go in one round trip; the chunk bounds the statement's memory and duration.
const CHUNK = 10_000;

const COLUMNS = ['recorded_at', 'channel_epoch_id', 'entry_id', ...FIELD_COLUMNS, 'raw'] as const;
const ARRAY_TYPES = ['timestamptz', 'int4', 'int4', ...FIELD_COLUMNS.map(() => 'float8'), 'jsonb'];

// The primary key (channel epoch, entry id, recorded time) makes a re-fetch or a retried job
// insert nothing twice; RETURNING names only the rows this statement stored, by their key: sending
// every value back and decoding it cost a first import a third of its time.
const INSERT_SQL = `
  INSERT INTO readings (${COLUMNS.join(', ')})
  SELECT * FROM unnest(${ARRAY_TYPES.map((t) => `?::${t}[]`).join(', ')})
  ON CONFLICT DO NOTHING
  RETURNING channel_epoch_id, entry_id, recorded_at`;

/**
 * Encodes and inserts readings of any number of channels, one statement per 10k rows. Rows already
 * stored are skipped; the keys of the ones inserted are returned, in no particular order.
 */
export async function insertReadings(conn: Conn, rows: ReadonlyArray<ReadingToStore>): Promise<InsertedReading[]> {
  const inserted: InsertedReading[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const columns: unknown[][] = COLUMNS.map(() => new Array<unknown>(chunk.length));
    chunk.forEach((r, j) => {
      const encoded = encodeFields(r.fields);
      columns[0]![j] = r.recordedAt;
      columns[1]![j] = r.channelEpochId;
      columns[2]![j] = r.entryId;
      encoded.values.forEach((v, k) => {
        columns[3 + k]![j] = v;
      });
      // node-pg would write a JS object inside an array as text; jsonb[] wants each element's JSON.
      columns[COLUMNS.length - 1]![j] = encoded.raw === null ? null : JSON.stringify(encoded.raw);
    });
    const { rows: stored } = await conn.raw<{ rows: Array<Pick<ReadingRow, 'channel_epoch_id' | 'entry_id' | 'recorded_at'>> }>(INSERT_SQL, columnArrays(columns));
    for (const row of stored) inserted.push({ channelEpochId: row.channel_epoch_id, entryId: row.entry_id, recordedAt: row.recorded_at });
  }
  return inserted;
}

/**
 * created_at (ms) of stored entries of one channel epoch, by entry id: a poll compares them with
 * what ThingSpeak serves to notice a channel cleared and refilled between two polls.
 */
export async function storedTimes(conn: Conn, channelEpochId: number, entryIds: number[]): Promise<Map<number, number>> {
  if (entryIds.length === 0) return new Map();
  const { rows } = await conn.raw<{ rows: Array<Pick<ReadingRow, 'entry_id' | 'recorded_at'>> }>(
    'SELECT entry_id, recorded_at FROM readings WHERE channel_epoch_id = ? AND entry_id = ANY(?::int4[])',
    [channelEpochId, entryIds],
  );
  return new Map(rows.map((r) => [r.entry_id, r.recorded_at.getTime()]));
}

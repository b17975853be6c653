import { elementsLiteral, numberArrayLiteral, textArrayLiteral } from '../db/array-bindings';
import type { Conn } from '../db/transaction';
import type { ReadingRow } from '../db/tables';
import { encodeForStorage, FIELD_COLUMNS, type EncodedReading, type FieldTexts, type ParsedValues } from './reading-codec';

/** One ThingSpeak entry to store: its channel epoch, entry id, time and field texts. */
export interface ReadingToStore {
  channelEpochId: number;
  entryId: number;
  recordedAt: Date;
  fields: FieldTexts;
  /** The fields' parsed values, when the caller parsed them already (saves parsing twice). */
  parsed?: ParsedValues;
  /** encodeForStorage of the fields, when the caller encoded them ahead (outside the transaction). */
  encoded?: EncodedReading;
}

// One array per column keeps a statement at 12 bind parameters however many rows it carries, so
// rows of many channels go in one round trip; the chunk bounds the statement's memory and duration.
const CHUNK = 10_000;

const COLUMNS = ['recorded_at', 'channel_epoch_id', 'entry_id', ...FIELD_COLUMNS, 'raw'] as const;

// The primary key (channel epoch, entry id, recorded time) makes a re-fetch or a retried job
// insert nothing twice. The answer is one row: how many were stored and, only when that is not all
// of them, which ones (by key). Sending every stored row back cost a first import a third of its
// time, and even its keys are work for nothing in the usual case where every row is new. Times
// travel as epoch milliseconds, which Postgres turns into timestamptz faster than it parses ISO text.
const INSERT_SQL = `
  WITH stored AS (
    INSERT INTO readings (${COLUMNS.join(', ')})
    SELECT to_timestamp(ms / 1000.0), e, n, ${FIELD_COLUMNS.join(', ')}, raw
      FROM unnest(?::float8[], ?::int4[], ?::int4[], ${FIELD_COLUMNS.map(() => '?::float8[]').join(', ')}, ?::jsonb[])
        AS v(ms, e, n, ${FIELD_COLUMNS.join(', ')}, raw)
    ON CONFLICT DO NOTHING
    RETURNING channel_epoch_id, entry_id)
  SELECT count(*)::int AS stored,
         CASE WHEN count(*) < ? THEN array_agg(channel_epoch_id) END AS epochs,
         CASE WHEN count(*) < ? THEN array_agg(entry_id) END AS entries
    FROM stored`;

// An import page's rows are new: its window of the epoch's history was never stored (pages do not
// overlap, and a resumed import reads only below the progress it committed). Without ON CONFLICT
// Postgres skips the speculative insertion per row, a third of the insert's time; without
// RETURNING it keeps no rows for the answer. A row already stored fails the statement instead.
const INSERT_NEW_SQL = `
  INSERT INTO readings (${COLUMNS.join(', ')})
  SELECT to_timestamp(ms / 1000.0), e, n, ${FIELD_COLUMNS.join(', ')}, raw
    FROM unnest(?::float8[], ?::int4[], ?::int4[], ${FIELD_COLUMNS.map(() => '?::float8[]').join(', ')}, ?::jsonb[])
      AS v(ms, e, n, ${FIELD_COLUMNS.join(', ')}, raw)`;

/**
 * 'skip-stored' (the default) drops rows already stored, by key. 'all-new' is for rows known to be
 * new: cheaper for Postgres, but a stored row fails the statement (unique_violation, 23505) and
 * aborts the transaction, so the caller must redo its transaction with 'skip-stored'.
 */
export type InsertMode = 'skip-stored' | 'all-new';

interface InsertAnswer {
  stored: number;
  /** Keys of the stored rows; null when every row sent was stored. */
  epochs: number[] | null;
  entries: number[] | null;
}

/**
 * Encodes and inserts readings of any number of channels, one statement per 10k rows. Rows already
 * stored are skipped; the ones inserted are returned (the caller's own objects), in no particular order.
 */
export async function insertReadings<T extends ReadingToStore>(conn: Conn, rows: ReadonlyArray<T>, mode: InsertMode = 'skip-stored'): Promise<T[]> {
  const inserted: T[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const times: number[] = new Array<number>(chunk.length);
    const epochs: number[] = new Array<number>(chunk.length);
    const entries: number[] = new Array<number>(chunk.length);
    const fields: string[][] = FIELD_COLUMNS.map(() => new Array<string>(chunk.length));
    const raws: Array<string | null> = new Array<string | null>(chunk.length);
    chunk.forEach((r, j) => {
      const encoded = r.encoded ?? encodeForStorage(r.fields, r.parsed);
      times[j] = r.recordedAt.getTime();
      epochs[j] = r.channelEpochId;
      entries[j] = r.entryId;
      for (let k = 0; k < fields.length; k += 1) fields[k]![j] = encoded.literals[k]!;
      raws[j] = encoded.rawJson;
    });
    const columns = [numberArrayLiteral(times), numberArrayLiteral(epochs), numberArrayLiteral(entries), ...fields.map(elementsLiteral), textArrayLiteral(raws)];
    if (mode === 'all-new') {
      await conn.raw(INSERT_NEW_SQL, columns);
      for (const r of chunk) inserted.push(r);
      continue;
    }
    const bindings = [...columns, chunk.length, chunk.length];
    const answer = (await conn.raw<{ rows: InsertAnswer[] }>(INSERT_SQL, bindings)).rows[0]!;
    if (answer.stored === chunk.length) {
      for (const r of chunk) inserted.push(r);
      continue;
    }
    const byKey = new Map<string, T>();
    for (const r of chunk) byKey.set(`${r.channelEpochId}:${r.entryId}`, r);
    (answer.entries ?? []).forEach((entryId, k) => inserted.push(byKey.get(`${answer.epochs![k]}:${entryId}`)!));
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

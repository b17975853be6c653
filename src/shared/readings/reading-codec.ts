import { FIELD_KEYS, type FieldKey } from '../thingspeak/feed';
import { parseFieldValue, type FieldValueStatus } from '../thingspeak/field-value';

/**
 * How a reading's fields are stored: the parsed number of fieldN in column fN, and in `raw` only
 * the texts that number cannot give back. Most devices write plain numbers ("30.72"), whose text
 * is String(value); storing that text again would double a reading's size for nothing.
 *
 * The texts kept in `raw` are those where the number is null ("nan", "", garbage) or where
 * String(value) is not the text ("30.720", " 25.81", "12,5", "1e3", "-0"). Statuses are not
 * stored: they are parseFieldValue's verdict on the text, recomputed when read.
 *
 * A field ThingSpeak sends as null is not stored at all and reads back as absent. ThingSpeak sends
 * null for every field a channel defines and the entry did not write; it says nothing more than
 * absence does (metrics and alerts skip both alike), and keeping it cost ~40 bytes on every reading
 * of a channel with unused fields. Apart from that, decode(encode(x)) is exactly what parsing x gives.
 */

/** Field texts of one ThingSpeak entry, as the feed gives them: absent, null or a string. */
export type FieldTexts = Partial<Record<FieldKey, string | null>>;

/** The texts encode keeps: only fields whose number does not rebuild them. */
export type RawRemainder = Partial<Record<FieldKey, string | null>>;

export interface ParsedField {
  value: number | null;
  status: FieldValueStatus;
}

export interface EncodedFields {
  /** Parsed value of field1..field8, in that order (null: absent, or no number). */
  values: Array<number | null>;
  /** null when every present field is rebuilt from its value. */
  raw: RawRemainder | null;
}

export interface DecodedFields {
  /** Field texts exactly as ThingSpeak sent them, for the fields the entry had. */
  raw: Record<string, string | null>;
  parsed: Record<string, ParsedField>;
}

/** Storage columns of field1..field8. */
export const FIELD_COLUMNS = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8'] as const;
export type FieldColumn = (typeof FIELD_COLUMNS)[number];

/** A stored row's field columns, as node-pg returns them (float8 as number, jsonb parsed). */
export type StoredFields = Record<FieldColumn, number | null> & { raw: RawRemainder | null };

export function encodeFields(fields: FieldTexts): EncodedFields {
  const values: Array<number | null> = [];
  let raw: RawRemainder | null = null;
  for (const key of FIELD_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(fields, key) || fields[key] === undefined || fields[key] === null) {
      values.push(null);
      continue;
    }
    const text = fields[key]!;
    const { value } = parseFieldValue(text);
    values.push(value);
    if (value === null || String(value) !== text) (raw ??= {})[key] = text;
  }
  return { values, raw };
}

export function decodeFields(values: ReadonlyArray<number | null>, raw: RawRemainder | null): DecodedFields {
  const out: DecodedFields = { raw: {}, parsed: {} };
  FIELD_KEYS.forEach((key, i) => {
    const value = values[i] ?? null;
    const kept = raw !== null && Object.prototype.hasOwnProperty.call(raw, key);
    if (value !== null) {
      const text = (kept ? raw[key] : null) ?? String(value);
      out.raw[key] = text;
      // Without a kept text the text was String(value), which parses 'ok' (a comma never prints).
      out.parsed[key] = { value, status: kept ? parseFieldValue(text).status : 'ok' };
    } else if (kept) {
      const text = raw[key] ?? null;
      out.raw[key] = text;
      out.parsed[key] = { value: null, status: parseFieldValue(text).status };
    }
  });
  return out;
}

/** The field columns of an encoded reading, by column name. */
export function toStoredFields(encoded: EncodedFields): StoredFields {
  const row = { raw: encoded.raw } as StoredFields;
  FIELD_COLUMNS.forEach((column, i) => {
    row[column] = encoded.values[i] ?? null;
  });
  return row;
}

export function decodeStored(row: StoredFields): DecodedFields {
  return decodeFields(
    FIELD_COLUMNS.map((column) => row[column]),
    row.raw,
  );
}

import { FIELD_KEYS, type FieldKey } from '../thingspeak/feed';
import { parseFieldValue, type FieldValueStatus } from '../thingspeak/field-value';

/**
 * How a reading's fields are stored: the parsed number of field1..field4 in columns f1..f4, and in
 * `raw` only the texts those numbers cannot give back, plus the texts of field5..field8.
 *
 * Why only four typed columns: a row with more than eight columns needs a null bitmap that no
 * longer fits the tuple header, which then grows from 24 to 32 bytes on every reading. Tank, flow
 * and borewell nodes write one to three fields; fields 5-8 (weather stations and the like) keep
 * their exact text and are parsed when read, which gives the same number and status. Most devices write plain numbers ("30.72"), whose text
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
  /** Parsed value of field1..field4, in that order (null: absent, or no number). */
  values: Array<number | null>;
  /** null when every present field is rebuilt from its value. */
  raw: RawRemainder | null;
}

export interface DecodedFields {
  /** Field texts exactly as ThingSpeak sent them, for the fields the entry had. */
  raw: Record<string, string | null>;
  parsed: Record<string, ParsedField>;
}

/** Typed storage columns of field1..field4. */
export const FIELD_COLUMNS = ['f1', 'f2', 'f3', 'f4'] as const;
export type FieldColumn = (typeof FIELD_COLUMNS)[number];

/** A stored row's field columns, as node-pg returns them (float8 as number, jsonb parsed). */
export type StoredFields = Record<FieldColumn, number | null> & { raw: RawRemainder | null };

/** Parsed values by field, as a poll already computed them with parseFieldValue. */
export type ParsedValues = Partial<Record<FieldKey, { value: number | null }>>;

/** `parsed`, when given, must be parseFieldValue of the same texts: it only saves parsing them again. */
export function encodeFields(fields: FieldTexts, parsed?: ParsedValues): EncodedFields {
  const values = new Array<number | null>(FIELD_COLUMNS.length);
  const raw = encodeEach(fields, parsed, (i, value) => (values[i] = value));
  return { values, raw };
}

/** A reading's field columns as the insert sends them: f1..f4 as array-literal elements and `raw` as JSON text. */
export interface EncodedReading {
  /** f1..f4 as elements of a Postgres float8[] literal: String(value), or NULL. */
  literals: string[];
  rawJson: string | null;
}

/** encodeFields in the insert's text form, computable before the insert (an import page, outside its transaction). */
export function encodeForStorage(fields: FieldTexts, parsed?: ParsedValues): EncodedReading {
  const literals = new Array<string>(FIELD_COLUMNS.length);
  // The text of each number is worked out once: to decide whether `raw` must keep the field's text,
  // and as what the insert sends (a first import encodes 8,000 readings a page).
  const raw = encodeEach(fields, parsed, (i, _value, text) => (literals[i] = text ?? 'NULL'));
  return { literals, rawJson: raw === null ? null : JSON.stringify(raw) };
}

/**
 * The one encoding loop: hands each typed column its value and String(value) (null, null: absent or
 * no number) and returns what `raw` keeps. A plain loop, no intermediate objects: the garbage of a
 * forEach and an object per reading showed in the worker's GC time during imports.
 */
function encodeEach(fields: FieldTexts, parsed: ParsedValues | undefined, put: (column: number, value: number | null, text: string | null) => void): RawRemainder | null {
  let raw: RawRemainder | null = null;
  for (let i = 0; i < FIELD_KEYS.length; i += 1) {
    const key = FIELD_KEYS[i]!;
    const typed = i < FIELD_COLUMNS.length;
    const text = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
    if (text === undefined || text === null) {
      if (typed) put(i, null, null);
      continue;
    }
    if (!typed) {
      (raw ??= {})[key] = text;
      continue;
    }
    const known = parsed?.[key];
    const value = known ? known.value : parseFieldValue(text).value;
    const printed = value === null ? null : String(value);
    put(i, value, printed);
    if (printed !== text) (raw ??= {})[key] = text;
  }
  return raw;
}

export function decodeFields(values: ReadonlyArray<number | null>, raw: RawRemainder | null): DecodedFields {
  const out: DecodedFields = { raw: {}, parsed: {} };
  FIELD_KEYS.forEach((key, i) => {
    // Fields past the typed columns have no number stored: their kept text is parsed again.
    const value = i < FIELD_COLUMNS.length ? (values[i] ?? null) : null;
    const kept = raw !== null && Object.prototype.hasOwnProperty.call(raw, key);
    if (i >= FIELD_COLUMNS.length) {
      if (!kept) return;
      const text = raw[key] ?? null;
      const parsed = parseFieldValue(text);
      out.raw[key] = text;
      out.parsed[key] = { value: parsed.value, status: parsed.status };
      return;
    }
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

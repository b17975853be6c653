/**
 * ThingSpeak stores whatever a device wrote as a string ("30.72\r\n\r\n", "  25.81", "nan", "12,5",
 * garbage). A reading keeps that raw string and gets a number only when the string is unambiguous,
 * with a status that says why not otherwise, so bad sensors can be reported instead of hidden.
 */
export type FieldValueStatus = 'ok' | 'empty' | 'nan' | 'infinite' | 'decimal_comma' | 'invalid';

export interface ParsedFieldValue {
  /** The value exactly as ThingSpeak returned it (null when the field was null or absent). */
  raw: string | null;
  /** A finite number, or null whenever status is not 'ok' or 'decimal_comma'. */
  value: number | null;
  status: FieldValueStatus;
}

// Sign, digits, optional fraction, optional exponent. "5." and ".5" are accepted because they are
// unambiguous; hex, thousands separators and trailing units are not.
const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// Firmware built with a comma locale writes "12,5". A second comma or a dot makes it ambiguous.
const DECIMAL_COMMA_NUMBER = /^[+-]?\d+,\d+$/;
const NAN_WORD = /^[+-]?nan$/i;
const INFINITY_WORD = /^[+-]?inf(?:inity)?$/i;

export function parseFieldValue(raw: string | null | undefined): ParsedFieldValue {
  if (raw === null || raw === undefined) return { raw: null, value: null, status: 'empty' };

  const text = raw.trim();
  if (text === '') return { raw, value: null, status: 'empty' };
  if (NAN_WORD.test(text)) return { raw, value: null, status: 'nan' };
  if (INFINITY_WORD.test(text)) return { raw, value: null, status: 'infinite' };

  if (DECIMAL_NUMBER.test(text)) return fromNumber(raw, Number(text), 'ok');
  if (DECIMAL_COMMA_NUMBER.test(text)) return fromNumber(raw, Number(text.replace(',', '.')), 'decimal_comma');

  return { raw, value: null, status: 'invalid' };
}

function fromNumber(raw: string, value: number, status: 'ok' | 'decimal_comma'): ParsedFieldValue {
  // "1e999" matches the grammar but overflows to Infinity.
  if (!Number.isFinite(value)) return { raw, value: null, status: 'infinite' };
  // Normalises -0 so that equality checks and JSON output do not surprise anyone.
  return { raw, value: value === 0 ? 0 : value, status };
}

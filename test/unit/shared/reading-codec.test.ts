import { decodeFields, decodeStored, encodeFields, encodeForStorage, toStoredFields, type FieldTexts } from '../../../src/shared/readings/reading-codec';
import { parseFieldValue } from '../../../src/shared/thingspeak/field-value';
import { FIELD_KEYS } from '../../../src/shared/thingspeak/feed';

/**
 * What the old readings row held for an entry: every present field's text, and its parse; except
 * fields ThingSpeak sent as null, which are stored as absent (they said nothing more).
 */
function oldShape(fields: FieldTexts) {
  const raw: Record<string, string | null> = {};
  const parsed: Record<string, { value: number | null; status: string }> = {};
  for (const [field, text] of Object.entries(fields)) {
    if (text === null || text === undefined) continue;
    raw[field] = text;
    const p = parseFieldValue(text);
    parsed[field] = { value: p.value, status: p.status };
  }
  return { raw, parsed };
}

const roundTrip = (fields: FieldTexts) => decodeFields(encodeFields(fields).values, encodeFields(fields).raw);

const TEXTS: Array<string | null> = [
  '30.72',
  '30.720',
  ' 25.81',
  '30.72\r\n\r\n',
  'nan',
  'NaN',
  'inf',
  '-Infinity',
  '1e999',
  '12,5',
  '1e3',
  '1e-7',
  '2.5E-2',
  '-0',
  '0',
  '+7',
  '5.',
  '.5',
  '0.1',
  '123456789012345680000',
  '0.30000000000000004',
  null,
  '',
  '   ',
  'garbage',
  '12 cm',
  '0x1A',
  '"quoted"\\',
  'ünïcödé ✓',
];

describe('reading codec', () => {
  test.each(TEXTS.map((t) => [t]))('when field2 is %j, then decode(encode(x)) is exactly the old raw and parsed', (text) => {
    const fields: FieldTexts = { field2: text };
    expect(roundTrip(fields)).toEqual(oldShape(fields));
  });

  test('when every text is in one entry (each in its own field), then each comes back exactly', () => {
    for (let i = 0; i < TEXTS.length; i += FIELD_KEYS.length) {
      const fields: FieldTexts = {};
      TEXTS.slice(i, i + FIELD_KEYS.length).forEach((text, j) => {
        fields[FIELD_KEYS[j]!] = text;
      });
      expect(roundTrip(fields)).toEqual(oldShape(fields));
    }
  });

  test('when a field is absent, then it is absent after decoding, not null nor empty', () => {
    const decoded = roundTrip({ field1: '30.72', field3: 'nan' });
    expect(Object.keys(decoded.raw).sort()).toEqual(['field1', 'field3']);
    expect(Object.keys(decoded.parsed).sort()).toEqual(['field1', 'field3']);
    expect(roundTrip({})).toEqual({ raw: {}, parsed: {} });
  });

  test('when ThingSpeak sent null for a field (defined, not written), then nothing is stored for it and it reads back absent', () => {
    expect(encodeFields({ field1: '1', field4: null }).raw).toBeNull();
    expect(roundTrip({ field1: '1', field4: null })).toEqual({
      raw: { field1: '1' },
      parsed: { field1: { value: 1, status: 'ok' } },
    });
  });

  test('when texts print back from their number, then nothing is kept besides the number', () => {
    expect(encodeFields({ field1: '30.72', field2: '0', field3: '-3.5', field4: '1e-7' })).toEqual({
      values: [30.72, 0, -3.5, 1e-7],
      raw: null,
    });
  });

  test('when a text does not print back from its number, then only that text is kept', () => {
    expect(encodeFields({ field1: '30.72', field2: '30.720', field3: 'nan', field4: null, field5: '-0', field6: '12,5' })).toEqual({
      values: [30.72, 30.72, null, null],
      // Fields 5-8 have no typed column: their text is kept whatever it is.
      raw: { field2: '30.720', field3: 'nan', field5: '-0', field6: '12,5' },
    });
  });

  test('when -0 is written, then the stored number is 0 (not -0) and the text "-0" comes back', () => {
    const encoded = encodeFields({ field1: '-0' });
    expect(Object.is(encoded.values[0], 0)).toBe(true);
    expect(decodeFields(encoded.values, encoded.raw)).toEqual({ raw: { field1: '-0' }, parsed: { field1: { value: 0, status: 'ok' } } });
  });

  test('when a field was written as undefined, then it counts as absent', () => {
    expect(encodeFields({ field1: undefined, field2: '1' })).toEqual({ values: [null, 1, null, null], raw: null });
  });

  test('when converted to columns f1..f4 and back, then the round trip is the same; fields 5-8 keep their text', () => {
    const fields: FieldTexts = { field1: '30.72\r\n', field2: '46', field7: '', field8: '8' };
    const row = toStoredFields(encodeFields(fields));
    expect(row).toEqual({ f1: 30.72, f2: 46, f3: null, f4: null, raw: { field1: '30.72\r\n', field7: '', field8: '8' } });
    expect(decodeStored(row)).toEqual(oldShape(fields));
  });

  test('when encoded ahead for storage (an import page), then the columns and raw text are what encodeFields gives', () => {
    const fields: FieldTexts = { field1: '30.72\r\n', field2: '46', field3: null, field7: 'a"b\\' };
    const parsed = { field1: { value: 30.72 }, field2: { value: 46 } };
    const ahead = encodeForStorage(fields, parsed);
    const encoded = encodeFields(fields, parsed);
    expect(ahead.literals).toEqual(encoded.values.map((v) => (v === null ? 'NULL' : String(v))));
    expect(JSON.parse(ahead.rawJson!)).toEqual(encoded.raw);
    expect(encodeForStorage({ field1: '46' }).rawJson).toBeNull();
  });

  test('given 5k random messy entries, when round-tripped, then every one equals the old raw and parsed', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const number = () => (rand() * 2000 - 1000).toFixed(Math.floor(rand() * 4));
    const decorate = (s: string) => pick([s, s, s, ` ${s}`, `${s}\r\n`, `${s}0`, s.replace('.', ',')]);
    for (let n = 0; n < 5_000; n++) {
      const fields: FieldTexts = {};
      for (const key of FIELD_KEYS) {
        const r = rand();
        if (r < 0.5) continue;
        fields[key] = r < 0.9 ? decorate(number()) : pick([...TEXTS]);
      }
      expect(roundTrip(fields)).toEqual(oldShape(fields));
    }
  });
});

import { parseFieldValue, type FieldValueStatus } from '../../../src/shared/thingspeak/field-value';

describe('parseFieldValue', () => {
  test('when the value is null or undefined, then it is empty with a null raw value', () => {
    expect(parseFieldValue(null)).toEqual({ raw: null, value: null, status: 'empty' });
    expect(parseFieldValue(undefined)).toEqual({ raw: null, value: null, status: 'empty' });
  });

  test.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['\r\n\r\n', 'empty'],
  ])('when the value is %j, then it is empty and the raw string is kept', (raw, status) => {
    expect(parseFieldValue(raw)).toEqual({ raw, value: null, status });
  });

  test.each([
    ['30.72\r\n\r\n', 30.72],
    ['  25.81', 25.81],
    ['\t46\n', 46],
    ['0', 0],
    ['-0', 0],
    ['-3.5', -3.5],
    ['+7', 7],
    ['1012.4', 1012.4],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['5.', 5],
    ['.5', 0.5],
  ])('when the value is %j, then it parses to %p with status ok', (raw, value) => {
    expect(parseFieldValue(raw)).toEqual({ raw, value, status: 'ok' });
  });

  test('when the value is negative zero, then the number is plain zero', () => {
    expect(Object.is(parseFieldValue('-0').value, 0)).toBe(true);
  });

  test.each(['nan', 'NaN', 'NAN', 'nan\r\n\r\n', ' -nan'])('when the value is %j, then it is nan with no number', (raw) => {
    expect(parseFieldValue(raw)).toEqual({ raw, value: null, status: 'nan' });
  });

  test.each(['inf', '-inf', '+inf', 'Infinity', '-Infinity', 'INF', '1e999', '-1e999'])(
    'when the value is %j, then it is infinite with no number',
    (raw) => {
      expect(parseFieldValue(raw)).toEqual({ raw, value: null, status: 'infinite' });
    },
  );

  test.each([
    ['12,5', 12.5],
    ['-0,25', -0.25],
    [' 12,5\r\n', 12.5],
  ])('when the value %j uses a decimal comma, then it parses to %p with status decimal_comma', (raw, value) => {
    expect(parseFieldValue(raw)).toEqual({ raw, value, status: 'decimal_comma' });
  });

  test.each([
    '12abc',
    '0x10',
    '1,234.5',
    '1,2,3',
    ',5',
    '5,',
    '--3',
    '+-3',
    'err',
    '12 5',
    '1e',
    '.',
    '-',
    '25.81 C',
    'Infinityx',
    'nan1',
    '١٢',
  ])('when the value is %j, then it is invalid with no number', (raw) => {
    expect(parseFieldValue(raw)).toEqual({ raw, value: null, status: 'invalid' });
  });

  test('when a value is parsed, then raw is the original string untouched', () => {
    const raw = '  30.72\r\n\r\n';
    const parsed = parseFieldValue(raw);
    expect(parsed.raw).toBe(raw);
    expect(parsed.raw).toHaveLength(raw.length);
  });

  test('when any status other than ok or decimal_comma is returned, then value is null', () => {
    const samples = ['', 'nan', 'inf', 'garbage', '1e999', '12abc'];
    const statuses = samples.map((s) => parseFieldValue(s)).filter((p) => p.value !== null).map((p) => p.status);
    expect(statuses.every((s: FieldValueStatus) => s === 'ok' || s === 'decimal_comma')).toBe(true);
    expect(statuses).toHaveLength(0);
  });
});

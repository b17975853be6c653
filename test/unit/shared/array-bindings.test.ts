import { elementsLiteral, numberArrayLiteral, textArrayLiteral } from '../../../src/shared/db/array-bindings';

describe('Postgres array literals', () => {
  test('when numbers have no nulls, then each prints as String() does', () => {
    expect(numberArrayLiteral([1, 2.5, -0, 1e21, 0.1 + 0.2])).toBe(`{1,2.5,0,1e+21,${String(0.1 + 0.2)}}`);
  });

  test('when numbers include nulls, then those are NULL, not empty elements', () => {
    expect(numberArrayLiteral([null, 3, null])).toBe('{NULL,3,NULL}');
  });

  test('when there are no values, then the literal is an empty array', () => {
    expect(numberArrayLiteral([])).toBe('{}');
  });

  test('when elements are already printed, then they are joined as they are', () => {
    expect(elementsLiteral(['1.5', 'NULL', '-3'])).toBe('{1.5,NULL,-3}');
  });

  test('when texts hold quotes and backslashes, then they are escaped; null is NULL', () => {
    expect(textArrayLiteral(['a"b', 'c\\d', null])).toBe('{"a\\"b","c\\\\d",NULL}');
  });
});

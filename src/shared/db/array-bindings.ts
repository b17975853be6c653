/**
 * Array parameters for `unnest(?::type[], ...)`: one parameter per column however many rows, so a
 * statement carries thousands of rows in one round trip.
 */

/**
 * A Postgres array literal of numbers (`{1,2.5,NULL}`), built in one join: node-pg's own array
 * encoding escapes and type-checks each element, a measurable share of a 10k-row insert.
 */
export function numberArrayLiteral(values: ReadonlyArray<number | null>): string {
  // All numbers: join prints each as String(v) does, with no array of texts in between. (Not a
  // check for null alone: join would print an undefined as an empty element, which Postgres takes.)
  if (values.every((v) => typeof v === 'number')) return `{${values.join(',')}}`;
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
}

/** A Postgres array literal of texts, each quoted with `"` and `\` escaped; null as NULL. */
export function textArrayLiteral(values: ReadonlyArray<string | null>): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

/** A Postgres array literal of elements already in its text form (numbers printed, NULL): no quoting. */
export function elementsLiteral(elements: ReadonlyArray<string>): string {
  return `{${elements.join(',')}}`;
}

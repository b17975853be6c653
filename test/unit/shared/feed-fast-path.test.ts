import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed, parseFeedWithSchema } from '../../../src/shared/thingspeak/feed';

/**
 * The hand-checked row loop must give exactly what the schema gives, and must never accept what
 * the schema rejects: every fixture, and every single-row change that could confuse one of them.
 */
const FIXTURES = join(__dirname, '../../fixtures/thingspeak');
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json') && f.includes('-feed-'))
  .map((f) => [f, JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as unknown] as const);

type Outcome = { ok: true; feed: unknown } | { ok: false; message: string };
const outcome = (parse: (b: unknown) => unknown, body: unknown): Outcome => {
  try {
    return { ok: true, feed: parse(body) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
};

const base = () => ({
  channel: { id: 7, name: 'tank', created_at: '2024-01-01T00:00:00Z', last_entry_id: 3, field1: 'Level', field2: '' },
  feeds: [
    { created_at: '2024-01-01T00:00:00Z', entry_id: 1, field1: '46.3', field2: null },
    { created_at: '2024-01-01T00:00:15+05:30', entry_id: 2, field1: ' nan\r\n' },
    { created_at: '2024-01-01T00:00:30.250Z', entry_id: 3, field1: '12,5', field2: 'x', latitude: null },
  ] as Array<Record<string, unknown>>,
});

// One change to the middle row each: values the schema takes (numbers, extra keys) or refuses.
const rowChanges: Array<[string, Record<string, unknown>]> = [
  ['a field written as a JSON number', { field1: 46.3 }],
  ['a field written as an integer', { field3: 0 }],
  ['a field written as a boolean', { field1: true }],
  ['a field written as an object', { field2: { v: 1 } }],
  ['entry_id as a string', { entry_id: '2' }],
  ['entry_id zero', { entry_id: 0 }],
  ['entry_id fractional', { entry_id: 2.5 }],
  ['entry_id past the safe range', { entry_id: 2 ** 53 }],
  ['created_at without a zone', { created_at: '2024-01-01T00:00:15' }],
  ['created_at impossible', { created_at: '2024-13-45T99:00:00Z' }],
  ['created_at a number', { created_at: 1704067215000 }],
  ['created_at missing', { created_at: undefined }],
  ['an unknown key', { elevation: '12' }],
];

describe('parseFeed fast path', () => {
  test.each(fixtures)('fixture %s: the same feed as the schema alone', (_name, body) => {
    expect(outcome(parseFeed, body)).toEqual(outcome(parseFeedWithSchema, body));
  });

  test('a plain feed: the same entries, times and fields as the schema alone', () => {
    const feed = parseFeed(base());
    expect(feed).toEqual(parseFeedWithSchema(base()));
    expect(feed.entries.map((e) => e.createdAt.toISOString())).toEqual(['2024-01-01T00:00:00.000Z', '2023-12-31T18:30:15.000Z', '2024-01-01T00:00:30.250Z']);
    expect(feed.entries[0]!.fields).toEqual({ field1: '46.3', field2: null });
  });

  test.each(rowChanges)('a row with %s: accepted or refused exactly like the schema', (_what, change) => {
    const body = base();
    body.feeds[1] = { ...body.feeds[1], ...change };
    const fast = outcome(parseFeed, body);
    expect(fast).toEqual(outcome(parseFeedWithSchema, body));
  });

  test.each([
    ['feeds not an array', { feeds: {} }],
    ['a row that is null', { feeds: [null] }],
    ['a row that is an array', { feeds: [[1, 2]] }],
    ['a channel without an id', { channel: { name: 'x' } }],
  ])('%s: refused with the schema message', (_what, change) => {
    const body = { ...base(), ...change };
    const fast = outcome(parseFeed, body);
    expect(fast.ok).toBe(false);
    expect(fast).toEqual(outcome(parseFeedWithSchema, body));
  });
});

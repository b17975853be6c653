import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_KEYS, parseFeed } from '../../../src/shared/thingspeak/feed';
import { ThingSpeakError } from '../../../src/shared/thingspeak/thingspeak-error';
import { UpstreamError } from '../../../src/shared/errors';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/thingspeak', `${name}.json`), 'utf8')) as unknown;

function expectBadResponse(body: unknown): ThingSpeakError {
  try {
    parseFeed(body);
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toBeInstanceOf(ThingSpeakError);
    const e = err as ThingSpeakError;
    expect(e.code).toBe('THINGSPEAK_BAD_RESPONSE');
    expect(e.upstreamKind).toBe('bad_response');
    return e;
  }
  throw new Error('parseFeed accepted an invalid body');
}

const minimalFeed = (feeds: unknown[], channel: Record<string, unknown> = {}) => ({
  channel: { id: 42, name: 'n', created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', last_entry_id: 1, ...channel },
  feeds,
});

describe('parseFeed', () => {
  test('when the feed has entry ids out of time order, then entries keep the server order and their own ids', () => {
    const feed = parseFeed(fixture('lab11-172415-feed-entry-id-not-in-time-order'));

    expect(feed.channel).toEqual({
      id: 172415,
      name: 'WINC Board A',
      lastEntryId: 39,
      createdAt: new Date('2016-10-18T19:02:39Z'),
      fieldNames: { field1: 'Sens1', field2: 'Sens2', field3: 'Sens3', field4: 'Sens4', field5: 'Battery' },
    });
    expect(feed.entries).toHaveLength(39);
    expect(feed.entries.slice(-4).map((e) => e.entryId)).toEqual([36, 38, 37, 39]);
    expect(feed.entries.at(-2)).toEqual({
      entryId: 37,
      createdAt: new Date('2018-09-12T17:39:42Z'),
      fields: { field1: null, field2: null, field3: '2.692', field4: null, field5: '9.033' },
    });
    expect(feed.entries[0]).toEqual({
      entryId: 1,
      createdAt: new Date('2018-09-07T14:57:44Z'),
      fields: { field1: '0.08', field2: null, field3: null, field4: null, field5: '8.138' },
    });
  });

  test('when all 8 fields are defined with interleaved nulls, then every entry carries all 8 keys', () => {
    const feed = parseFeed(fixture('lab11-390696-feed-8fields-interleaved-nulls'));

    expect(feed.entries).toHaveLength(100);
    expect(Object.keys(feed.channel.fieldNames)).toEqual([...FIELD_KEYS]);
    expect(feed.channel.fieldNames.field2).toBe('Humidité Intérieure');
    for (const entry of feed.entries) expect(Object.keys(entry.fields)).toEqual([...FIELD_KEYS]);
    expect(feed.entries.find((e) => e.entryId === 38596)?.fields).toEqual({
      field1: null,
      field2: null,
      field3: null,
      field4: '0',
      field5: null,
      field6: null,
      field7: null,
      field8: null,
    });
  });

  test('when the channel never received data, then entries are empty and lastEntryId is null', () => {
    const feed = parseFeed(fixture('lab11-570714-feed-empty-channel'));

    expect(feed.entries).toEqual([]);
    expect(feed.channel.lastEntryId).toBeNull();
    expect(feed.channel.name).toBe('Estação Climática');
    expect(feed.channel).not.toHaveProperty('elevation');
  });

  test('when values are "nan" with CRLF, then the raw strings come through untouched', () => {
    const feed = parseFeed(fixture('lab11-573971-feed-nan-and-crlf-values'));

    expect(feed.entries).toHaveLength(9);
    expect(feed.entries[0]?.fields).toEqual({ field1: 'nan', field2: 'nan\r\n\r\n', field3: null, field4: null });
  });

  test('when a public feed has only two fields, then only those keys are present', () => {
    const feed = parseFeed(fixture('mchwalisz-86945-feed-public-2fields-nulls'));

    expect(feed.entries.map((e) => e.entryId)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(feed.entries[2]?.fields).toEqual({ field1: '1', field2: null });
    expect(feed.channel.fieldNames).toEqual({ field1: 'cpu_pc', field2: 'mem_avail_mb' });
  });

  test('when the body is the private-channel answer -1, then it is a bad response', () => {
    expectBadResponse(fixture('mchwalisz-204504-error-private-channel-no-key'));
  });

  test('when values are JSON numbers, then they become their string form', () => {
    const feed = parseFeed(minimalFeed([{ created_at: '2024-01-01T00:00:01Z', entry_id: 1, field1: 30.72, field2: 0, field3: -1e21 }]));

    expect(feed.entries[0]?.fields).toEqual({ field1: '30.72', field2: '0', field3: '-1e+21' });
  });

  test('when channel metadata is odd (numeric labels, free-text elevation), then the feed still parses', () => {
    const feed = parseFeed(
      minimalFeed([], { name: 17, field1: 3, field2: 'Level', elevation: ' 940 m', latitude: 'north', created_at: 'yesterday' }),
    );

    expect(feed.channel).toEqual({ id: 42, name: null, lastEntryId: 1, createdAt: null, fieldNames: { field2: 'Level' } });
  });

  test('when an entry time has an offset, then it is converted to the same instant', () => {
    const feed = parseFeed(minimalFeed([{ created_at: '2024-01-01T05:30:00+05:30', entry_id: 1 }]));

    expect(feed.entries[0]?.createdAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  test.each([
    ['a non-object body', 'not json'],
    ['null', null],
    ['no feeds array', { channel: { id: 1 } }],
    ['feeds that is not an array', { channel: { id: 1 }, feeds: 'none' }],
    ['a string channel id', { channel: { id: '1' }, feeds: [] }],
    ['an entry without entry_id', minimalFeed([{ created_at: '2024-01-01T00:00:00Z' }])],
    ['a fractional entry_id', minimalFeed([{ created_at: '2024-01-01T00:00:00Z', entry_id: 1.5 }])],
    ['a created_at without zone', minimalFeed([{ created_at: '2024-01-01 00:00:00', entry_id: 1 }])],
    ['an impossible created_at', minimalFeed([{ created_at: '2024-13-45T99:00:00Z', entry_id: 1 }])],
    ['a field that is an object', minimalFeed([{ created_at: '2024-01-01T00:00:00Z', entry_id: 1, field1: { v: 1 } }])],
    ['a negative last_entry_id', minimalFeed([], { last_entry_id: -1 })],
  ])('when the body has %s, then it throws THINGSPEAK_BAD_RESPONSE', (_label, body) => {
    expectBadResponse(body);
  });

  test('when the body is invalid, then the message names the offending path', () => {
    const err = expectBadResponse(minimalFeed([{ created_at: '2024-01-01T00:00:00Z', entry_id: 'x' }]));

    expect(err.message).toContain('feeds.0.entry_id');
  });
});

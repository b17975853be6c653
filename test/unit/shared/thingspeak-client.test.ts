import { Writable } from 'node:stream';
import pino from 'pino';
import { UpstreamError, ValidationError } from '../../../src/shared/errors';
import {
  createThingSpeakClient,
  formatThingSpeakTime,
  ThingSpeakError,
  type ThingSpeakClient,
} from '../../../src/shared/thingspeak/thingspeak.client';
import { createThingSpeakSimulator, type ThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import type { Fault } from '../../../src/simulator/faults';

const READ_KEY = 'SECRET-read-key-7Q3Z';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

let sim: ThingSpeakSimulator;
let baseUrl: string;
let client: ThingSpeakClient;
let nextChannelId = 1000;

/** A fresh channel per test, so one test's faults and entries cannot leak into another. */
function newChannel(opts: { readKey?: string; entries?: number } = {}): number {
  const id = nextChannelId++;
  sim.createChannel({ id, name: `Channel ${id}`, readKey: opts.readKey, createdAt: at(-3600) });
  sim.appendEntries(
    id,
    Array.from({ length: opts.entries ?? 5 }, (_, i) => ({ createdAt: at(i * 15), fields: { field1: `2${i}.5`, field2: `${100 + i}` } })),
  );
  return id;
}

async function failure(promise: Promise<unknown>): Promise<ThingSpeakError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (outcome === undefined) throw new Error('expected the request to fail');
  expect(outcome).toBeInstanceOf(ThingSpeakError);
  expect(outcome).toBeInstanceOf(UpstreamError);
  return outcome as ThingSpeakError;
}

beforeAll(async () => {
  sim = createThingSpeakSimulator();
  ({ url: baseUrl } = await sim.listen(0, '127.0.0.1'));
  client = createThingSpeakClient({ baseUrl, timeoutMs: 2000 });
});

afterAll(async () => {
  await sim.close();
});

describe('formatThingSpeakTime', () => {
  test('when given a date, then it renders UTC to the second in ThingSpeak format', () => {
    expect(formatThingSpeakTime(new Date('2018-09-07T14:57:44.987Z'))).toBe('2018-09-07 14:57:44');
  });

  test('when given an invalid date, then it throws a ValidationError', () => {
    expect(() => formatThingSpeakTime(new Date('nope'))).toThrow(ValidationError);
  });
});

describe('ThingSpeak client against the simulator', () => {
  test('when a public channel is read, then the newest `results` entries and the channel come back', async () => {
    const id = newChannel({ entries: 5 });

    const feed = await client.getFeed(id, { results: 3 });

    expect(feed.channel).toMatchObject({ id, name: `Channel ${id}`, lastEntryId: 5, fieldNames: { field1: 'Temperature' } });
    expect(feed.entries.map((e) => e.entryId)).toEqual([3, 4, 5]);
    expect(feed.entries[0]).toEqual({ entryId: 3, createdAt: at(30), fields: { field1: '22.5', field2: '102' } });
  });

  test('when start and end are given, then only entries inside the inclusive window come back', async () => {
    const id = newChannel({ entries: 5 });

    const feed = await client.getFeed(String(id), { results: 8000, start: at(15), end: at(45) });

    expect(feed.entries.map((e) => e.entryId)).toEqual([2, 3, 4]);
  });

  test('when results is 0, then the channel comes back with no entries', async () => {
    const id = newChannel({ entries: 3 });

    const feed = await client.getFeed(id, { results: 0 });

    expect(feed.entries).toEqual([]);
    expect(feed.channel.lastEntryId).toBe(3);
  });

  test('when a private channel is read with its key, then the feed comes back', async () => {
    const id = newChannel({ readKey: READ_KEY });

    const feed = await client.getFeed(id, { results: 10, readKey: READ_KEY });

    expect(feed.entries).toHaveLength(5);
  });

  test.each([
    ['without a key', undefined],
    ['with a wrong key', 'wrong-key'],
  ])('when a private channel is read %s, then it fails as access_denied', async (_label, readKey) => {
    const id = newChannel({ readKey: READ_KEY });

    const err = await failure(client.getFeed(id, { results: 10, readKey }));

    expect(err).toMatchObject({ upstreamKind: 'access_denied', code: 'THINGSPEAK_ACCESS_DENIED', upstreamStatus: 400, channelId: String(id) });
  });

  test('when the channel does not exist, then it fails as not_found', async () => {
    const err = await failure(client.getFeed(987654321, { results: 10 }));

    expect(err).toMatchObject({ upstreamKind: 'not_found', code: 'THINGSPEAK_NOT_FOUND', upstreamStatus: 404 });
  });

  test.each<[string, Fault, Partial<ThingSpeakError>]>([
    ['HTTP 400 with body -1', { kind: 'minus1' }, { upstreamKind: 'access_denied', code: 'THINGSPEAK_ACCESS_DENIED', upstreamStatus: 400 }],
    ['a JSON 401 error object', { kind: 'json401' }, { upstreamKind: 'access_denied', code: 'THINGSPEAK_ACCESS_DENIED', upstreamStatus: 401 }],
    ['HTTP 500', { kind: 'http500' }, { upstreamKind: 'server_error', code: 'THINGSPEAK_SERVER_ERROR', upstreamStatus: 500 }],
    ['a connection reset', { kind: 'reset' }, { upstreamKind: 'network', code: 'THINGSPEAK_UNREACHABLE' }],
    ['a body cut off mid-JSON', { kind: 'badJson' }, { upstreamKind: 'bad_response', code: 'THINGSPEAK_BAD_RESPONSE', upstreamStatus: 200 }],
    ['JSON that is not a feed', { kind: 'wrongShape' }, { upstreamKind: 'bad_response', code: 'THINGSPEAK_BAD_RESPONSE', upstreamStatus: 200 }],
  ])('when ThingSpeak answers %s, then the error kind says so', async (_label, fault, expected) => {
    const id = newChannel();
    sim.setFault(id, { ...fault, times: 1 });

    const err = await failure(client.getFeed(id, { results: 10 }));

    expect(err).toMatchObject(expected);
    expect(err.httpStatus).toBe(502);
    expect(err.kind).toBe('operational');
  });

  test('when the JSON error object says 401, then its error_code is reported in the message', async () => {
    const id = newChannel();
    sim.setFault(id, { kind: 'json401', times: 1 });

    const err = await failure(client.getFeed(id, { results: 10 }));

    expect(err.message).toContain('error_auth_required');
  });

  test('when ThingSpeak answers 429 with Retry-After, then it fails as rate_limited with retryAfterMs', async () => {
    const id = newChannel();
    sim.setFault(id, { kind: 'http429', times: 1, retryAfterSeconds: 7 });

    const err = await failure(client.getFeed(id, { results: 10 }));

    expect(err).toMatchObject({ upstreamKind: 'rate_limited', code: 'THINGSPEAK_RATE_LIMITED', retryAfterMs: 7000 });
  });

  test('when ThingSpeak is slower than timeoutMs, then it fails as timeout without waiting for the answer', async () => {
    const id = newChannel();
    sim.setFault(id, { kind: 'slow', delayMs: 20_000, times: 1 });
    const impatient = createThingSpeakClient({ baseUrl, timeoutMs: 150 });
    const startedAt = Date.now();

    const err = await failure(impatient.getFeed(id, { results: 10 }));

    expect(err).toMatchObject({ upstreamKind: 'timeout', code: 'THINGSPEAK_TIMEOUT' });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  test('when nothing listens on the port, then it fails as network (THINGSPEAK_UNREACHABLE)', async () => {
    const gone = createThingSpeakSimulator();
    const { url } = await gone.listen(0, '127.0.0.1');
    await gone.close();

    const err = await failure(createThingSpeakClient({ baseUrl: url, timeoutMs: 2000 }).getFeed(1, { results: 1 }));

    expect(err).toMatchObject({ upstreamKind: 'network', code: 'THINGSPEAK_UNREACHABLE' });
    expect(err.message).toContain('ECONNREFUSED');
  });

  test.each([
    ['results above 8000', { results: 8001 }],
    ['negative results', { results: -1 }],
    ['fractional results', { results: 1.5 }],
  ])('when called with %s, then it throws a ValidationError before any request', async (_label, opts) => {
    sim.resetStats();

    await expect(client.getFeed(1, opts)).rejects.toBeInstanceOf(ValidationError);
    expect(sim.stats().totalRequests).toBe(0);
  });

  test('when the channel id is not digits, then it throws a ValidationError', async () => {
    await expect(client.getFeed('1/../2', { results: 1 })).rejects.toBeInstanceOf(ValidationError);
  });
});
describe('ThingSpeak client secrecy', () => {
  test('when any failure happens on a private read, then the read key is in no error message, stack, cause or log line', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'trace' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const logged = createThingSpeakClient({ baseUrl, timeoutMs: 150, log });
    const refused = createThingSpeakSimulator();
    const { url: refusedUrl } = await refused.listen(0, '127.0.0.1');
    await refused.close();
    const kinds: Fault['kind'][] = ['minus1', 'json401', 'http429', 'http500', 'slow', 'reset', 'badJson', 'wrongShape'];

    const errors: ThingSpeakError[] = [];
    for (const kind of kinds) {
      const id = newChannel({ readKey: READ_KEY });
      sim.setFault(id, { kind, times: 1, delayMs: 5000 });
      errors.push(await failure(logged.getFeed(id, { results: 10, readKey: READ_KEY })));
    }
    errors.push(await failure(logged.getFeed(newChannel({ readKey: READ_KEY }), { results: 10, readKey: 'wrong' + READ_KEY })));
    errors.push(await failure(logged.getFeed(999_999_999, { results: 10, readKey: READ_KEY })));
    errors.push(
      await failure(createThingSpeakClient({ baseUrl: refusedUrl, timeoutMs: 500, log }).getFeed(1, { results: 1, readKey: READ_KEY })),
    );

    expect(new Set(errors.map((e) => e.upstreamKind))).toEqual(
      new Set(['access_denied', 'rate_limited', 'server_error', 'timeout', 'network', 'bad_response', 'not_found']),
    );
    for (const err of errors) {
      const everything = [err.message, err.stack, String(err.cause), (err.cause as Error | undefined)?.stack, JSON.stringify(err)].join('\n');
      expect(everything).not.toContain(READ_KEY);
    }
    expect(lines.length).toBeGreaterThanOrEqual(errors.length);
    expect(lines.join('\n')).not.toContain(READ_KEY);
  });
});

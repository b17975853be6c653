import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createThingSpeakClient, ThingSpeakError, type ThingSpeakClient } from '../../../src/shared/thingspeak/thingspeak.client';

/**
 * The client against a scripted upstream (real HTTP on loopback) for what the simulator does not
 * produce: the exact request line, and response shapes ThingSpeak has been seen or documented to
 * send in odd combinations.
 */
interface Scripted {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

let upstream: Server;
let client: ThingSpeakClient;
let next: Scripted = { status: 200, body: '' };
const seen: string[] = [];

const emptyFeed = JSON.stringify({ channel: { id: 7, last_entry_id: null }, feeds: [] });

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(next.status, { 'content-type': 'application/json; charset=utf-8', ...next.headers });
    res.end(next.body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  // The trailing slash is deliberate: the client must not produce "//channels".
  client = createThingSpeakClient({ baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`, timeoutMs: 2000 });
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    upstream.close(() => resolve());
    upstream.closeAllConnections();
  });
});

async function failureFor(scripted: Scripted): Promise<ThingSpeakError> {
  next = scripted;
  const outcome = await client.getFeed(7, { results: 1 }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(ThingSpeakError);
  return outcome as ThingSpeakError;
}

describe('ThingSpeak client request shape', () => {
  test('when a window is asked for, then the query has explicit results, %20 times, UTC and no aggregation', async () => {
    seen.length = 0;
    next = { status: 200, body: emptyFeed };

    await client.getFeed(7, { results: 8000, start: new Date('2026-03-01T10:00:00Z'), end: new Date('2026-03-01T10:00:59.900Z'), readKey: 'k&y=1' });
    await client.getFeed('7', { results: 0, readKey: '' });

    expect(seen).toEqual([
      '/channels/7/feeds.json?results=8000&start=2026-03-01%2010:00:00&end=2026-03-01%2010:00:59&timezone=UTC&api_key=k%26y%3D1',
      '/channels/7/feeds.json?results=0&timezone=UTC',
    ]);
    expect(seen.join()).not.toMatch(/[?&](min|max|round|timescale|sum|average|median|days|minutes)=/);
  });
});

describe('ThingSpeak client response classification', () => {
  test.each<[string, Scripted, Partial<ThingSpeakError>]>([
    ['HTTP 200 with body -1', { status: 200, body: '-1' }, { upstreamKind: 'access_denied', upstreamStatus: 200 }],
    ['HTTP 401 with body -1', { status: 401, body: '-1' }, { upstreamKind: 'access_denied' }],
    [
      'HTTP 200 with a 403 error object',
      { status: 200, body: '{"status":"403","error":{"error_code":"error_auth_required"}}' },
      { upstreamKind: 'access_denied', code: 'THINGSPEAK_ACCESS_DENIED' },
    ],
    [
      'HTTP 400 with a 404 error object',
      { status: 400, body: '{"status":"404","error":{"error_code":"error_resource_not_found"}}' },
      { upstreamKind: 'not_found', code: 'THINGSPEAK_NOT_FOUND' },
    ],
    ['HTTP 404 with an HTML body', { status: 404, body: '<h1>Not Found</h1>' }, { upstreamKind: 'not_found' }],
    ['HTTP 403 with no body', { status: 403, body: '' }, { upstreamKind: 'access_denied' }],
    ['HTTP 503 with -1', { status: 503, body: '-1' }, { upstreamKind: 'server_error', code: 'THINGSPEAK_SERVER_ERROR' }],
    ['HTTP 502 with an HTML body', { status: 502, body: '<html>Bad Gateway</html>' }, { upstreamKind: 'server_error' }],
    ['HTTP 200 with an empty body', { status: 200, body: '' }, { upstreamKind: 'bad_response', code: 'THINGSPEAK_BAD_RESPONSE' }],
    ['HTTP 200 with body 0', { status: 200, body: '0' }, { upstreamKind: 'bad_response' }],
    ['HTTP 400 with another body', { status: 400, body: '{"oops":true}' }, { upstreamKind: 'bad_response', upstreamStatus: 400 }],
  ])('when ThingSpeak answers %s, then the error is classified accordingly', async (_label, scripted, expected) => {
    expect(await failureFor(scripted)).toMatchObject(expected);
  });

  test('when a 429 carries no Retry-After, then retryAfterMs is undefined', async () => {
    const err = await failureFor({ status: 429, body: '' });

    expect(err.upstreamKind).toBe('rate_limited');
    expect(err.retryAfterMs).toBeUndefined();
  });

  test('when a 429 carries Retry-After as an HTTP date, then retryAfterMs is the time until then', async () => {
    const inOneMinute = new Date(Date.now() + 60_000).toUTCString();

    const err = await failureFor({ status: 429, body: '', headers: { 'retry-after': inOneMinute } });

    expect(err.retryAfterMs).toBeGreaterThan(50_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  test('when a 503 carries Retry-After seconds, then retryAfterMs is kept on the server error', async () => {
    const err = await failureFor({ status: 503, body: '', headers: { 'retry-after': '30' } });

    expect(err).toMatchObject({ upstreamKind: 'server_error', retryAfterMs: 30_000 });
  });
});

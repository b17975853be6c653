import { createThingSpeakSimulator, type ThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const at = (seconds: number) => new Date(NOW + seconds * 1000);
/** ThingSpeak's own query format for start/end. */
const tsTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', '%20');

let sim: ThingSpeakSimulator;
let baseUrl: string;
let nextChannelId = 1;

interface Reply {
  status: number;
  text: string;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies asserted field by field
  json: () => any;
}

async function request(path: string, init?: { method?: string; body?: unknown }): Promise<Reply> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: init?.method ?? 'GET',
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    headers: init?.body === undefined ? undefined : { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) };
}

const feedIds = (reply: Reply): number[] => (reply.json().feeds as Array<{ entry_id: number }>).map((f) => f.entry_id);

/** A channel with `count` entries one second apart starting at `at(0)`; ids 1..count. */
function channelWithEntries(count: number, spec: { readKey?: string } = {}): number {
  const id = nextChannelId++;
  sim.createChannel({ id, readKey: spec.readKey, createdAt: at(-3600) });
  sim.appendEntries(
    id,
    Array.from({ length: count }, (_, i) => ({ createdAt: at(i), fields: { field1: `${20 + i}.0`, field2: `${i}` } })),
  );
  return id;
}

beforeAll(async () => {
  sim = createThingSpeakSimulator({ now: () => new Date(NOW) });
  ({ url: baseUrl } = await sim.listen());
});

afterAll(async () => {
  await sim.close();
});

describe('feeds.json window selection', () => {
  test('when more entries match than results, then only the newest `results` of them come back, oldest first', async () => {
    const id = channelWithEntries(20);

    const reply = await request(`/channels/${id}/feeds.json?results=5&start=${tsTime(at(0))}&end=${tsTime(at(19))}`);

    expect(reply.status).toBe(200);
    expect(feedIds(reply)).toEqual([16, 17, 18, 19, 20]);
  });

  test('when start and end cut the channel, then the newest `results` inside the inclusive window come back', async () => {
    const id = channelWithEntries(20);

    const all = await request(`/channels/${id}/feeds.json?results=100&start=${tsTime(at(2))}&end=${tsTime(at(10))}`);
    const cut = await request(`/channels/${id}/feeds.json?results=3&start=${tsTime(at(2))}&end=${tsTime(at(10))}`);

    expect(feedIds(all)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(feedIds(cut)).toEqual([9, 10, 11]);
  });

  test('when start and end are ISO 8601, then they select the same window', async () => {
    const id = channelWithEntries(10);

    const reply = await request(`/channels/${id}/feeds.json?results=100&start=${at(3).toISOString()}&end=2026-03-01T13:00:05%2B01:00`);

    expect(feedIds(reply)).toEqual([4, 5, 6]);
  });

  test('when results is omitted, then the newest 100 entries come back', async () => {
    const id = channelWithEntries(150);

    const ids = feedIds(await request(`/channels/${id}/feeds.json`));

    expect(ids).toHaveLength(100);
    expect(ids[0]).toBe(51);
    expect(ids.at(-1)).toBe(150);
  });

  test('when results is 0, then the channel comes back with an empty feed list', async () => {
    const id = channelWithEntries(3);

    const body = (await request(`/channels/${id}/feeds.json?results=0`)).json();

    expect(body.feeds).toEqual([]);
    expect(body.channel).toMatchObject({ id, last_entry_id: 3 });
  });

  test('when 20,000 entries exist and results is above 8000, then the newest 8000 come back', async () => {
    const id = nextChannelId++;
    sim.createChannel({ id, createdAt: at(-86_400) });
    const entryIds = sim.appendGenerated(id, 20_000, { stepMs: 15_000, messy: true });

    const ids = feedIds(await request(`/channels/${id}/feeds.json?results=9000`));

    expect(entryIds).toHaveLength(20_000);
    expect(entryIds.at(-1)).toBe(20_000);
    expect(ids).toHaveLength(8000);
    expect(ids[0]).toBe(12_001);
    expect(sim.entries(id).at(-1)?.createdAt).toEqual(new Date(NOW));
  });

  test('when entries are back-dated, then the feed is ordered by created_at and then entry id', async () => {
    const id = nextChannelId++;
    sim.createChannel({ id, createdAt: at(-3600) });
    sim.appendEntries(id, [
      { createdAt: at(10), fields: { field1: 'a' } },
      { createdAt: at(20), fields: { field1: 'b' } },
      { createdAt: at(5), fields: { field1: 'back-dated' } },
      { createdAt: new Date(NOW + 15_400), fields: { field1: 'd' } },
      { createdAt: at(15), fields: { field1: 'same second as 4' } },
    ]);

    const feeds = (await request(`/channels/${id}/feeds.json?results=100`)).json().feeds;

    expect(feeds.map((f: { entry_id: number }) => f.entry_id)).toEqual([3, 1, 4, 5, 2]);
    expect(feeds[2]).toEqual({ created_at: '2026-03-01T12:00:15Z', entry_id: 4, field1: 'd', field2: null });
    expect(sim.entries(id).map((e) => e.entryId)).toEqual([1, 2, 3, 4, 5]);
  });

  test('when an entry is future-dated and no end is given, then it is served', async () => {
    const id = nextChannelId++;
    sim.createChannel({ id });
    sim.appendEntries(id, [{ fields: { field1: 'now' } }, { createdAt: at(86_400), fields: { field1: 'tomorrow' } }]);

    const feeds = (await request(`/channels/${id}/feeds.json?results=10&start=${tsTime(at(-60))}`)).json().feeds;

    expect(feeds).toEqual([
      { created_at: '2026-03-01T12:00:00Z', entry_id: 1, field1: 'now', field2: null },
      { created_at: '2026-03-02T12:00:00Z', entry_id: 2, field1: 'tomorrow', field2: null },
    ]);
  });

  test('when a row is rendered, then the channel block and the row look like ThingSpeak JSON', async () => {
    const id = nextChannelId++;
    sim.createChannel({ id, name: 'Tank A', fields: { field1: 'Temperature', field3: 'Battery' }, createdAt: at(-60) });
    sim.appendEntries(id, [{ createdAt: at(0), fields: { field3: '  3.7\r\n' } }]);

    const body = (await request(`/channels/${id}/feeds.json?results=1&timezone=Asia/Kolkata`)).json();

    expect(body).toEqual({
      channel: {
        id,
        name: 'Tank A',
        latitude: '0.0',
        longitude: '0.0',
        field1: 'Temperature',
        field3: 'Battery',
        created_at: '2026-03-01T11:59:00Z',
        updated_at: '2026-03-01T11:59:00Z',
        last_entry_id: 1,
      },
      feeds: [{ created_at: '2026-03-01T12:00:00Z', entry_id: 1, field1: null, field3: '  3.7\r\n' }],
    });
  });

  test('when last.json is asked for, then the entry with the highest id comes back', async () => {
    const id = channelWithEntries(4);

    const reply = await request(`/channels/${id}/feeds/last.json`);

    expect(reply.json()).toEqual({ created_at: '2026-03-01T12:00:03Z', entry_id: 4, field1: '23.0', field2: '3' });
  });
});

describe('channel access and lifecycle', () => {
  test('when a private channel is read without or with a wrong key, then it answers HTTP 400 with body -1', async () => {
    const id = channelWithEntries(2, { readKey: 'right-key' });

    const none = await request(`/channels/${id}/feeds.json`);
    const wrong = await request(`/channels/${id}/feeds.json?api_key=wrong`);
    const right = await request(`/channels/${id}/feeds.json?api_key=right-key`);

    expect([none.status, none.text]).toEqual([400, '-1']);
    expect([wrong.status, wrong.text]).toEqual([400, '-1']);
    expect(right.status).toBe(200);
    expect(feedIds(right)).toEqual([1, 2]);
  });

  test('when the channel does not exist, then it answers 404 with the ThingSpeak error object', async () => {
    const reply = await request('/channels/424242/feeds.json');

    expect(reply.status).toBe(404);
    expect(reply.json()).toMatchObject({ status: '404', error: { error_code: 'error_resource_not_found', message: 'Resource not found' } });
  });

  test('when a channel is cleared, then last_entry_id is null and the next entry id is 1 again', async () => {
    const id = channelWithEntries(5);

    sim.clearChannel(id);
    const afterClear = (await request(`/channels/${id}/feeds.json`)).json();
    const newIds = sim.appendEntries(id, [{ fields: { field1: 'x' } }, { fields: { field1: 'y' } }]);
    const afterWrite = (await request(`/channels/${id}/feeds.json`)).json();

    expect(afterClear.channel.last_entry_id).toBeNull();
    expect(afterClear.feeds).toEqual([]);
    expect(newIds).toEqual([1, 2]);
    expect(afterWrite.channel.last_entry_id).toBe(2);
    expect(sim.entries(id).map((e) => e.entryId)).toEqual([1, 2]);
  });
});

describe('faults', () => {
  test('when a fault has times: 2, then two requests fail and the third is served', async () => {
    const id = channelWithEntries(1);
    sim.setFault(id, { kind: 'http500', times: 2 });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(`/channels/${id}/feeds.json`)).status);

    expect(statuses).toEqual([500, 500, 200]);
  });

  test('when a fault has no times, then it lasts until removed', async () => {
    const id = channelWithEntries(1);
    sim.setFault(id, { kind: 'minus1' });

    const first = await request(`/channels/${id}/feeds.json`);
    const second = await request(`/channels/${id}/feeds.json`);
    sim.setFault(id, null);
    const third = await request(`/channels/${id}/feeds.json`);

    expect([first.status, first.text, second.status, second.text, third.status]).toEqual([400, '-1', 400, '-1', 200]);
  });

  test('when a * fault and a channel fault are both set, then the channel one wins and * hits the others', async () => {
    const a = channelWithEntries(1);
    const b = channelWithEntries(1);
    sim.setFault('*', { kind: 'http429', retryAfterSeconds: 9 });
    sim.setFault(a, { kind: 'json401', times: 1 });

    const ra = await request(`/channels/${a}/feeds.json`);
    const rb = await request(`/channels/${b}/feeds.json`);
    sim.setFault('*', null);
    const rbAfter = await request(`/channels/${b}/feeds.json`);

    expect(ra.status).toBe(401);
    expect(ra.json()).toMatchObject({ status: '401', error: { error_code: 'error_auth_required' } });
    expect([rb.status, rb.headers.get('retry-after')]).toEqual([429, '9']);
    expect(rbAfter.status).toBe(200);
  });

  test('when the reset fault is set, then the connection is dropped without an answer', async () => {
    const id = channelWithEntries(1);
    sim.setFault(id, { kind: 'reset', times: 1 });

    await expect(request(`/channels/${id}/feeds.json`)).rejects.toThrow();
    expect((await request(`/channels/${id}/feeds.json`)).status).toBe(200);
  });
});

describe('stats', () => {
  test('when requests overlap on one channel, then maxConcurrent counts them; sequential ones stay at 1', async () => {
    const overlapping = nextChannelId++;
    const sequential = nextChannelId++;
    sim.createChannel({ id: overlapping, latencyMs: 300 });
    sim.createChannel({ id: sequential, latencyMs: 20 });
    sim.resetStats();

    await Promise.all([1, 2, 3].map(() => request(`/channels/${overlapping}/feeds.json`)));
    for (let i = 0; i < 3; i++) await request(`/channels/${sequential}/feeds.json`);

    expect(sim.stats()).toEqual({
      requests: { [overlapping]: 3, [sequential]: 3 },
      maxConcurrent: { [overlapping]: 3, [sequential]: 1 },
      totalRequests: 6,
    });
  });

  test('when a global latency is set, then it applies to every channel', async () => {
    const id = channelWithEntries(1);
    sim.setLatency(300);
    sim.resetStats();

    await Promise.all([request(`/channels/${id}/feeds.json`), request(`/channels/${id}/feeds.json`)]);
    sim.setLatency(0);

    expect(sim.stats().maxConcurrent[id]).toBe(2);
  });
});
describe('close', () => {
  test('when a slow request is in flight, then close still resolves and the client sees the connection end', async () => {
    const local = createThingSpeakSimulator();
    local.createChannel({ id: 1 });
    local.setFault(1, { kind: 'slow', delayMs: 60_000 });
    const { url } = await local.listen();
    let served = false;
    const pending = fetch(`${url}/channels/1/feeds.json`).then(() => {
      served = true;
    });
    // The request must have reached the server before close, or the test proves nothing.
    while (local.stats().totalRequests === 0) await new Promise((resolve) => setImmediate(resolve));

    await local.close();

    await expect(pending).rejects.toThrow();
    expect(served).toBe(false);
  });
});

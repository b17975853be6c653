import { createThingSpeakSimulator, type ThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';

const NOW = Date.parse('2026-03-01T12:00:00Z');

let sim: ThingSpeakSimulator;
let baseUrl: string;

interface Reply {
  status: number;
  text: string;
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
  return { status: res.status, text, json: () => JSON.parse(text) };
}

const feedIds = (reply: Reply): number[] => (reply.json().feeds as Array<{ entry_id: number }>).map((f) => f.entry_id);

function channelWithEntries(id: number, count: number): number {
  sim.createChannel({ id });
  sim.appendEntries(id, Array.from({ length: count }, () => ({ fields: { field1: '1' } })));
  return id;
}

const EXISTING_CHANNEL = 1;

beforeAll(async () => {
  sim = createThingSpeakSimulator({ now: () => new Date(NOW) });
  sim.createChannel({ id: EXISTING_CHANNEL });
  ({ url: baseUrl } = await sim.listen());
});

afterAll(async () => {
  await sim.close();
});

describe('simulator control API', () => {
  test('when a channel is created, filled, read, faulted and cleared over HTTP, then each step takes effect', async () => {
    const id = 777_001;

    const created = await request('/_sim/channels', {
      method: 'POST',
      body: { id, name: 'Remote', readKey: 'rk', fields: { field1: 'Temperature', field2: 'Distance' }, createdAt: '2026-01-01T00:00:00Z' },
    });
    const appended = await request(`/_sim/channels/${id}/entries`, {
      method: 'POST',
      body: { entries: [{ createdAt: '2026-03-01T11:00:00Z', fields: { field2: '46' } }, { fields: { field2: null } }] },
    });
    const generated = await request(`/_sim/channels/${id}/entries`, { method: 'POST', body: { generate: 3, stepMs: 1000 } });
    const listed = await request(`/_sim/channels/${id}/entries`);
    const feed = await request(`/channels/${id}/feeds.json?api_key=rk&results=2`);
    const faulted = await request(`/_sim/channels/${id}/fault`, { method: 'POST', body: { kind: 'http500', times: 1 } });
    const failing = await request(`/channels/${id}/feeds.json?api_key=rk`);
    const cleared = await request(`/_sim/channels/${id}/clear`, { method: 'POST' });
    const stats = await request('/_sim/stats');

    expect([created.status, appended.status, generated.status, faulted.status, cleared.status]).toEqual([201, 201, 201, 200, 200]);
    expect(appended.json()).toEqual({ entryIds: [1, 2] });
    expect(generated.json()).toEqual({ entryIds: [3, 4, 5] });
    expect(listed.json().entries.slice(0, 2)).toEqual([
      { entryId: 1, createdAt: '2026-03-01T11:00:00Z', fields: { field2: '46' } },
      { entryId: 2, createdAt: '2026-03-01T12:00:00Z', fields: { field2: null } },
    ]);
    expect(feed.json().channel).toMatchObject({ id, name: 'Remote', field1: 'Temperature', last_entry_id: 5 });
    // Generated entries end at now, the same second as entry 2: time order, then id order.
    expect(feedIds(feed)).toEqual([2, 5]);
    expect(failing.status).toBe(500);
    expect(sim.entries(id)).toEqual([]);
    expect(stats.json().requests[String(id)]).toBe(2);
  });

  test('when the * fault is set over HTTP, then it applies to every channel until removed with null', async () => {
    const id = channelWithEntries(2, 1);

    await request('/_sim/channels/*/fault', { method: 'POST', body: { kind: 'minus1' } });
    const during = await request(`/channels/${id}/feeds.json`);
    await request('/_sim/channels/*/fault', { method: 'POST', body: null });
    const after = await request(`/channels/${id}/feeds.json`);

    expect([during.status, during.text, after.status]).toEqual([400, '-1', 200]);
  });

  test.each([
    ['a channel id that exists', 409, '/_sim/channels', { id: EXISTING_CHANNEL }],
    ['a body that is not a channel', 400, '/_sim/channels', { id: 'x' }],
    ['entries for an unknown channel', 404, '/_sim/channels/99999999/entries', { entries: [] }],
    ['an unknown fault kind', 400, '/_sim/channels/1/fault', { kind: 'meteor' }],
    ['an unknown route', 404, '/_sim/teleport', {}],
  ])('when the control API is sent %s, then it answers %p', async (_label, status, path, body) => {
    expect((await request(path, { method: 'POST', body })).status).toBe(status);
  });

  test('when channels are listed and stats reset over HTTP, then the list shows privacy and the counters restart', async () => {
    await request('/_sim/channels', { method: 'POST', body: { id: 3, readKey: 'k' } });
    await request('/channels/3/feeds.json');

    const listed = await request('/_sim/channels');
    const reset = await request('/_sim/stats/reset', { method: 'POST' });

    expect(listed.json().channels).toContainEqual({ id: 3, name: 'Simulated tank 3', kind: 'tank', private: true, lastEntryId: null });
    expect(reset.json()).toEqual({ requests: {}, maxConcurrent: {}, totalRequests: 0 });
  });
});

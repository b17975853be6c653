import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import { ensureChannelEpoch } from '../../../src/shared/readings/channel-epochs';
import { insertReadings } from '../../../src/shared/readings/reading-writer';

describe('API /api/v1/nodes', () => {
  let core: TestCore;
  let api: ApiClient;
  let adminKey: string;
  let communityA: string;
  let communityB: string;
  let customerA: string;
  let distributorKey: string;
  let distributorCommunity: string;

  const nodeBody = (overrides: Record<string, unknown> = {}) => ({
    nodeKey: `oht-${randomUUID().slice(0, 8)}`,
    label: 'Bakul OHT',
    category: 'OHT',
    analyticsType: 'EvaraTank',
    config: { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } },
    lat: 17.448,
    lng: 78.349,
    locationName: 'Bakul',
    channels: [{ channelId: nextChannelId(), readKey: 'READKEYSECRET42', fieldMapping: { field1: 'temperature', field2: 'distance_cm' } }],
    ...overrides,
  });

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    adminKey = await issueKey(core, { role: 'superadmin' });
    api = apiClient(core, adminKey);
    const suffix = randomUUID().slice(0, 6);
    communityA = (await api.post('/api/v1/communities', { slug: `a-${suffix}`, name: 'Community A' }).expect(201)).body.data.id;
    communityB = (await api.post('/api/v1/communities', { slug: `b-${suffix}`, name: 'Community B' }).expect(201)).body.data.id;
    customerA = await issueKey(core, { role: 'customer', communityId: communityA });
    const distributor = (await api.post('/api/v1/distributors', { name: `Dist ${suffix}` }).expect(201)).body.data.id;
    distributorCommunity = (await api.post('/api/v1/communities', { slug: `d-${suffix}`, name: 'Dist community', distributorId: distributor }).expect(201)).body.data.id;
    distributorKey = await issueKey(core, { role: 'distributor', distributorId: distributor });
  });

  afterAll(async () => {
    await core.close();
  });

  async function nodeCount(): Promise<number> {
    const [row] = await core.db('nodes').count<Array<{ count: string }>>('* as count');
    return Number(row?.count);
  }

  describe('authentication and errors', () => {
    test('when no API key is sent, then 401 with a JSON error body and the request id', async () => {
      const res = await api.get('/api/v1/nodes', '').set('X-Request-Id', 'req-abc-123').expect(401);
      expect(res.headers['x-request-id']).toBe('req-abc-123');
      expect(res.body).toEqual({ status: 'error', code: 'UNAUTHORIZED', message: expect.stringContaining('Bearer'), requestId: 'req-abc-123' });
    });

    test('when the key is unknown or revoked, then 401', async () => {
      await api.get('/api/v1/nodes', 'evk_AAAAAAAAAAAA_notarealkeynotarealkeynotarealkey12345').expect(401);
      const key = await issueKey(core, { role: 'superadmin' });
      const [row] = await core.db('api_keys').orderBy('created_at', 'desc').limit(1).select('id');
      await api.del(`/api/v1/api-keys/${row.id}`).expect(204);
      const res = await api.get('/api/v1/nodes', key).expect(401);
      expect(res.body.message).toMatch(/unknown or revoked/);
    });

    test('when a path does not exist, then a JSON 404 says so', async () => {
      const res = await api.get('/api/v1/nope').expect(404);
      expect(res.body).toMatchObject({ status: 'error', code: 'ROUTE_NOT_FOUND', message: 'No route for GET /api/v1/nope' });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('create, read, update, delete', () => {
    test('when a node is created with a channel, then 201 returns it with sync state and never the read key', async () => {
      const body = nodeBody({ communityId: communityA });
      const res = await api.post('/api/v1/nodes', body).expect(201);
      expect(res.headers.location).toBe(`/api/v1/nodes/${res.body.data.id}`);
      expect(res.body.data).toMatchObject({ nodeKey: body.nodeKey, communityId: communityA, status: 'provisioning', online: false, lastSeenAt: null });
      expect(res.body.data.channels[0]).toMatchObject({
        channelId: body.channels[0]!.channelId,
        hasReadKey: true,
        fieldMapping: { field1: 'temperature', field2: 'distance_cm' },
        sync: { storedEntries: 0, highestStoredEntryId: 0, thingspeakLastEntryId: null, lastPollAt: null, lastError: null },
      });
      expect(res.text).not.toContain('READKEYSECRET42');
      const got = await api.get(`/api/v1/nodes/${res.body.data.id}`).expect(200);
      expect(got.text).not.toContain('READKEYSECRET42');
      expect(got.body.data.state).toMatchObject({ levelPct: null, note: 'no data yet' });
    });

    test('when a node key is reused, then 409 and nothing new is written', async () => {
      const body = nodeBody();
      await api.post('/api/v1/nodes', body).expect(201);
      const before = await nodeCount();
      const res = await api.post('/api/v1/nodes', { ...body, channels: [] }).expect(409);
      expect(res.body.code).toBe('NODE_KEY_TAKEN');
      expect(await nodeCount()).toBe(before);
    });

    test('when nodes are listed, then pagination, filters and search apply', async () => {
      const tag = randomUUID().slice(0, 6);
      for (let i = 0; i < 3; i++) await api.post('/api/v1/nodes', nodeBody({ communityId: communityB, label: `Sump ${tag} ${i}`, category: 'Sump' })).expect(201);
      await api.post('/api/v1/nodes', nodeBody({ communityId: communityB, label: `Flow ${tag}`, category: 'FlowMeter', analyticsType: 'EvaraFlow', config: {} })).expect(201);

      const page1 = await api.get(`/api/v1/nodes?search=${tag}&limit=2&offset=0`).expect(200);
      const page2 = await api.get(`/api/v1/nodes?search=${tag}&limit=2&offset=2`).expect(200);
      const sumps = await api.get(`/api/v1/nodes?search=${tag}&category=Sump`).expect(200);

      expect(page1.body.page).toEqual({ limit: 2, offset: 0, total: 4, nextCursor: expect.any(String) });
      expect([...page1.body.data, ...page2.body.data].map((n: { label: string }) => n.label)).toEqual([`Flow ${tag}`, `Sump ${tag} 0`, `Sump ${tag} 1`, `Sump ${tag} 2`]);
      expect(sumps.body.data).toHaveLength(3);
      const bad = await api.get('/api/v1/nodes?limit=0&category=Tank').expect(400);
      expect(bad.body.message).toMatch(/query\.limit[\s\S]*query\.category/);
    });

    test('when the list is walked by cursor, then every node comes once in order, total only where asked, and the last page says so', async () => {
      const tag = randomUUID().slice(0, 6);
      // Equal labels: the id breaks the tie, so no node is skipped or repeated at a page edge.
      const labels = ['b', 'a', 'c', 'a', 'b', 'a', 'd'].map((l) => `Walk ${tag} ${l}`);
      const ids: string[] = [];
      for (const label of labels) ids.push((await api.post('/api/v1/nodes', nodeBody({ communityId: communityB, label })).expect(201)).body.data.id);

      const first = await api.get(`/api/v1/nodes?search=${tag}&limit=3`).expect(200);
      expect(first.body.page).toMatchObject({ limit: 3, offset: 0, total: 7 });
      const seen = [...first.body.data];
      let cursor: string | null = first.body.page.nextCursor;
      let pages = 1;
      while (cursor) {
        const page = await api.get(`/api/v1/nodes?search=${tag}&limit=3&cursor=${cursor}`).expect(200);
        expect(page.body.page.total).toBeUndefined();
        expect(page.body.page.offset).toBeUndefined();
        seen.push(...page.body.data);
        cursor = page.body.page.nextCursor;
        pages++;
      }
      expect(pages).toBe(3);
      const expected = labels.map((label, i) => ({ label, id: ids[i]! })).sort((x, y) => (x.label === y.label ? (x.id < y.id ? -1 : 1) : x.label < y.label ? -1 : 1));
      expect(seen.map((n: { id: string; label: string }) => ({ label: n.label, id: n.id }))).toEqual(expected);

      const counted = await api.get(`/api/v1/nodes?search=${tag}&limit=3&cursor=${first.body.page.nextCursor}&count=exact`).expect(200);
      expect(counted.body.page.total).toBe(7);
      const uncounted = await api.get(`/api/v1/nodes?search=${tag}&limit=3&count=none`).expect(200);
      expect(uncounted.body.page).toEqual({ limit: 3, offset: 0, nextCursor: first.body.page.nextCursor });
    });

    test('when a cursor is not one the API returned, or comes with an offset, then 400 says so', async () => {
      const forged = Buffer.from(JSON.stringify(['x', 'not-a-uuid'])).toString('base64url');
      for (const cursor of ['garbage', forged]) {
        const res = await api.get(`/api/v1/nodes?cursor=${cursor}`).expect(400);
        expect(res.body.message).toMatch(/query\.cursor: is not a cursor this API returned/);
      }
      const valid = (await api.get('/api/v1/nodes?limit=1').expect(200)).body.page.nextCursor;
      const both = await api.get(`/api/v1/nodes?cursor=${valid}&offset=5`).expect(400);
      expect(both.body.message).toMatch(/query\.offset: cannot be combined with cursor/);
      const badCount = await api.get('/api/v1/nodes?count=maybe').expect(400);
      expect(badCount.body.message).toMatch(/query\.count/);
    });

    test('when the summary is asked for, then it counts the nodes in scope by status, category and online, and agrees with the list', async () => {
      const suffix = randomUUID().slice(0, 6);
      const community = (await api.post('/api/v1/communities', { slug: `sum-${suffix}`, name: 'Summary' }).expect(201)).body.data.id;
      await api.post('/api/v1/nodes', nodeBody({ communityId: community, category: 'Sump' })).expect(201);
      await api.post('/api/v1/nodes', nodeBody({ communityId: community, category: 'OHT' })).expect(201);
      const maintained = (await api.post('/api/v1/nodes', nodeBody({ communityId: community, category: 'OHT' })).expect(201)).body.data.id;
      await api.patch(`/api/v1/nodes/${maintained}`, { maintenance: true }).expect(200);

      const summary = (await api.get(`/api/v1/nodes/summary?communityId=${community}`).expect(200)).body.data;
      expect(summary).toMatchObject({ total: 3, online: 0, offline: 3 });
      expect(summary.byStatus).toEqual({ provisioning: 2, Online: 0, Offline: 0, Alert: 0, Maintenance: 1 });
      expect(summary.byCategory).toMatchObject({ OHT: 2, Sump: 1, FlowMeter: 0 });

      const fleet = (await api.get('/api/v1/nodes/summary').expect(200)).body.data;
      const listed = (await api.get('/api/v1/nodes?limit=1').expect(200)).body.page.total;
      expect(fleet.total).toBe(listed);
      const scoped = (await apiClient(core, customerA).get('/api/v1/nodes/summary').expect(200)).body.data;
      const scopedListed = (await apiClient(core, customerA).get('/api/v1/nodes?limit=1').expect(200)).body.page.total;
      expect(scoped.total).toBe(scopedListed);
      expect(scoped.total).toBeLessThan(fleet.total);
      const bad = await api.get('/api/v1/nodes/summary?status=Online').expect(400);
      expect(bad.body.message).toMatch(/status/);
    });

    test('when a node is updated, then the change is returned; maintenance can be set; a listed channel is added and the others keep their readings; delete needs the nodeKey', async () => {
      const body = nodeBody();
      const created = (await api.post('/api/v1/nodes', body).expect(201)).body.data;
      const kept = created.channels[0];
      const channelEpochId = await ensureChannelEpoch(core.db, kept.id, 0);
      await insertReadings(core.db, Array.from({ length: 3 }, (_, i) => ({ channelEpochId, entryId: i + 1, recordedAt: new Date(Date.UTC(2026, 10, 2) + i * 60_000), fields: { field2: `${40 + i}` } })));
      const updated = await api.patch(`/api/v1/nodes/${created.id}`, { label: 'Renamed', maintenance: true, expectedIntervalS: 120 }).expect(200);
      expect(updated.body.data).toMatchObject({ label: 'Renamed', status: 'Maintenance', expectedIntervalS: 120 });
      const newChannel = nextChannelId();
      const rechanneled = await api.patch(`/api/v1/nodes/${created.id}`, { channels: [{ channelId: newChannel, fieldMapping: { field2: 'distance_cm' } }] }).expect(200);
      expect(rechanneled.body.data.channels.map((c: { channelId: number; active: boolean }) => [c.channelId, c.active])).toEqual([
        [kept.channelId, true],
        [newChannel, true],
      ]);
      expect(rechanneled.body.data.channels[0]).toMatchObject({ id: kept.id, hasReadKey: true, fieldMapping: { field1: 'temperature', field2: 'distance_cm' } });
      expect((await api.get(`/api/v1/nodes/${created.id}/readings?channelId=${kept.channelId}`).expect(200)).body.data).toHaveLength(3);
      await api.del(`/api/v1/nodes/${created.id}?confirm=${body.nodeKey}`).expect(204);
      await api.get(`/api/v1/nodes/${created.id}`).expect(404);
    });
  });

  describe('bad input is refused with 400 naming the problem, and nothing is written', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['missing fields', { label: 'x' }, /body\.nodeKey[\s\S]*body\.category/],
      ['wrong types', { nodeKey: 5, label: true, category: 'OHT', analyticsType: 'EvaraTank' }, /body\.nodeKey[\s\S]*body\.label/],
      ['an unknown category', { nodeKey: 'k-1', label: 'x', category: 'Tank', analyticsType: 'EvaraTank' }, /body\.category/],
      ['an unknown field', { nodeKey: 'k-2', label: 'x', category: 'OHT', analyticsType: 'EvaraTank', colour: 'red' }, /colour/],
      ['a bad channel', { nodeKey: 'k-3', label: 'x', category: 'OHT', analyticsType: 'EvaraTank', channels: [{ channelId: -4, fieldMapping: { field9: 'x' } }] }, /body\.channels\.0\.channelId/],
      ['a bad tank config', { nodeKey: 'k-4', label: 'x', category: 'OHT', analyticsType: 'EvaraTank', config: { tank: { shape: 'cone', height: 1 } } }, /body\.config\.tank/],
      ['out-of-range coordinates', { nodeKey: 'k-5', label: 'x', category: 'OHT', analyticsType: 'EvaraTank', lat: 123 }, /body\.lat/],
    ];
    test.each(cases)('when POST /nodes has %s, then 400', async (_name, body, pattern) => {
      const before = await nodeCount();
      const res = await api.post('/api/v1/nodes', body).expect(400);
      expect(res.body).toMatchObject({ status: 'error', code: 'VALIDATION_FAILED', message: expect.stringMatching(pattern) });
      expect(await nodeCount()).toBe(before);
    });

    test('when the body is malformed JSON, then 400 says it could not be parsed', async () => {
      const res = await request(api.app).post('/api/v1/nodes').set('Authorization', `Bearer ${adminKey}`).set('Content-Type', 'application/json').send('{"nodeKey": ').expect(400);
      expect(res.body.message).toMatch(/Malformed JSON/);
    });

    test('when the body is too large, then 413 says so and nothing is written', async () => {
      const before = await nodeCount();
      const res = await api.post('/api/v1/nodes', { ...nodeBody(), label: 'x'.repeat(300_000) }).expect(413);
      expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/larger than/) });
      expect(await nodeCount()).toBe(before);
    });

    test('when one channel of several is invalid, then the node and its other channels are not written', async () => {
      const before = await nodeCount();
      const body = nodeBody({ channels: [{ channelId: nextChannelId() }, { channelId: 'abc' }] });
      await api.post('/api/v1/nodes', body).expect(400);
      expect(await nodeCount()).toBe(before);
    });

    test('when PATCH has an empty body or wrong types, then 400', async () => {
      const created = (await api.post('/api/v1/nodes', nodeBody()).expect(201)).body.data;
      expect((await api.patch(`/api/v1/nodes/${created.id}`, {}).expect(400)).body.message).toMatch(/at least one field/);
      expect((await api.patch(`/api/v1/nodes/${created.id}`, { expectedIntervalS: 'soon' }).expect(400)).body.message).toMatch(/body\.expectedIntervalS/);
      expect((await api.get(`/api/v1/nodes/${created.id}`).expect(200)).body.data.expectedIntervalS).toBe(900);
    });

    test('when an id in the path is not a UUID, then 400 names the path parameter', async () => {
      expect((await api.get('/api/v1/nodes/123').expect(400)).body.message).toMatch(/path\.id: must be a UUID/);
    });

    test('when communities, distributors and api keys get bad input, then 400', async () => {
      expect((await api.post('/api/v1/communities', { slug: 'Bad Slug!', name: '' }).expect(400)).body.message).toMatch(/body\.slug[\s\S]*body\.name/);
      expect((await api.post('/api/v1/distributors', { name: 42 }).expect(400)).body.message).toMatch(/body\.name/);
      expect((await api.post('/api/v1/api-keys', { label: 'x', role: 'customer' }).expect(400)).body.message).toMatch(/communityId/);
      expect((await api.post('/api/v1/api-keys', { label: 'x', role: 'king' }).expect(400)).body.message).toMatch(/body\.role/);
    });
  });

  describe('tenant scope', () => {
    let nodeA: string;
    let nodeB: string;
    beforeAll(async () => {
      nodeA = (await api.post('/api/v1/nodes', nodeBody({ communityId: communityA })).expect(201)).body.data.id;
      nodeB = (await api.post('/api/v1/nodes', nodeBody({ communityId: communityB })).expect(201)).body.data.id;
    });

    test("when a customer key of community A lists nodes, then only A's nodes appear", async () => {
      const res = await api.get('/api/v1/nodes?limit=200', customerA).expect(200);
      expect(res.body.data.length).toBeGreaterThan(0);
      expect(res.body.data.every((n: { communityId: string }) => n.communityId === communityA)).toBe(true);
      expect(res.body.data.map((n: { id: string }) => n.id)).toContain(nodeA);
    });

    test("when a customer key of A reads, polls or changes B's node, then 404 and B is unchanged", async () => {
      await api.get(`/api/v1/nodes/${nodeB}`, customerA).expect(404);
      await api.get(`/api/v1/nodes/${nodeB}/readings`, customerA).expect(404);
      await api.post(`/api/v1/nodes/${nodeB}/poll`, {}, customerA).expect(404);
      await api.patch(`/api/v1/nodes/${nodeB}`, { label: 'hijacked' }, customerA).expect(403);
      await api.del(`/api/v1/nodes/${nodeB}`, customerA).expect(403);
      expect((await api.get(`/api/v1/nodes/${nodeB}`).expect(200)).body.data.label).toBe('Bakul OHT');
    });

    test('when a customer key tries to create a node, then 403', async () => {
      const res = await api.post('/api/v1/nodes', nodeBody({ communityId: communityA }), customerA).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    test("when a distributor key works, then it sees and changes only its own communities' nodes", async () => {
      const own = (await api.post('/api/v1/nodes', nodeBody({ communityId: distributorCommunity }), distributorKey).expect(201)).body.data.id;
      await api.post('/api/v1/nodes', nodeBody({ communityId: communityA }), distributorKey).expect(404);
      await api.patch(`/api/v1/nodes/${nodeA}`, { label: 'x' }, distributorKey).expect(404);
      const list = await api.get('/api/v1/nodes?limit=200', distributorKey).expect(200);
      expect(list.body.data.map((n: { id: string }) => n.id)).toEqual([own]);
      const communities = await api.get('/api/v1/communities', distributorKey).expect(200);
      expect(communities.body.data.map((c: { id: string }) => c.id)).toEqual([distributorCommunity]);
    });
  });

  describe('readings', () => {
    test('when readings are listed, then they come in time order with keyset pages and a time range', async () => {
      const node = (await api.post('/api/v1/nodes', nodeBody()).expect(201)).body.data;
      const t0 = Date.UTC(2026, 10, 1);
      const channelEpochId = await ensureChannelEpoch(core.db, node.channels[0].id, 0);
      await insertReadings(
        core.db,
        Array.from({ length: 5 }, (_, i) => ({ channelEpochId, entryId: i + 1, recordedAt: new Date(t0 + i * 60_000), fields: { field2: i === 4 ? '44.0\r\n' : `${40 + i}` } })),
      );
      const first = await api.get(`/api/v1/nodes/${node.id}/readings?limit=2&order=asc`).expect(200);
      const second = await api.get(`/api/v1/nodes/${node.id}/readings?limit=2&order=asc&cursor=${first.body.page.nextCursor}`).expect(200);
      const ranged = await api.get(`/api/v1/nodes/${node.id}/readings?from=${new Date(t0 + 60_000).toISOString()}&to=${new Date(t0 + 180_000).toISOString()}`).expect(200);

      expect(first.body.data.map((r: { entryId: number }) => r.entryId)).toEqual([1, 2]);
      expect(second.body.data.map((r: { entryId: number }) => r.entryId)).toEqual([3, 4]);
      expect(first.body.data[0].values).toEqual({ distance_cm: { value: 40, status: 'ok', raw: '40' } });
      expect(first.body.data[0].id).toBe(`${channelEpochId}-1`);
      const last = await api.get(`/api/v1/nodes/${node.id}/readings?limit=1`).expect(200);
      expect(last.body.data[0]).toMatchObject({ entryId: 5, epoch: 0, values: { distance_cm: { value: 44, status: 'ok', raw: '44.0\r\n' } } });
      const afterLast = await api.get(`/api/v1/nodes/${node.id}/readings?limit=2&order=desc&cursor=${last.body.page.nextCursor}`).expect(200);
      expect(afterLast.body.data.map((r: { entryId: number }) => r.entryId)).toEqual([4, 3]);
      const oldCursor = Buffer.from(`${new Date(t0).toISOString()}|123`).toString('base64url');
      expect((await api.get(`/api/v1/nodes/${node.id}/readings?cursor=${oldCursor}`).expect(400)).body.message).toMatch(/query\.cursor/);
      expect(ranged.body.data.map((r: { entryId: number }) => r.entryId)).toEqual([3, 2]);
      expect((await api.get(`/api/v1/nodes/${node.id}/readings?from=yesterday`).expect(400)).body.message).toMatch(/query\.from/);
    });
  });
});

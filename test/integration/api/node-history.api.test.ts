import { randomUUID } from 'node:crypto';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import { syncState } from '../../helpers/readings';
import { auditTrail } from '../../../src/shared/audit/audit-log.repository';
import { ensureChannelEpoch } from '../../../src/shared/readings/channel-epochs';
import { insertReadings } from '../../../src/shared/readings/reading-writer';

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON */

/** Issue 12: an edit never deletes history; detaching keeps it; deleting and purging are confirmed and audited. */
describe('API: a node keeps its history unless deletion is asked for explicitly', () => {
  let core: TestCore;
  let api: ApiClient;
  let distributorKey: string;
  let customerKey: string;
  let community: string;
  let otherCommunity: string;

  const DAY0 = Date.UTC(2026, 10, 5);

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }, 'history admin'));
    const suffix = randomUUID().slice(0, 6);
    const distributor = (await api.post('/api/v1/distributors', { name: `History ${suffix}` }).expect(201)).body.data.id;
    community = (await api.post('/api/v1/communities', { slug: `hist-${suffix}`, name: 'History', distributorId: distributor }).expect(201)).body.data.id;
    otherCommunity = (await api.post('/api/v1/communities', { slug: `hist-o-${suffix}`, name: 'Elsewhere' }).expect(201)).body.data.id;
    distributorKey = await issueKey(core, { role: 'distributor', distributorId: distributor }, 'history distributor');
    customerKey = await issueKey(core, { role: 'customer', communityId: community }, 'history customer');
  });

  afterAll(async () => {
    await core.close();
  });

  /** A node with two channels (A, B) in `communityId`, and its body as created. */
  /** The node's audit trail after its own node.create entry (which every test here starts with). */
  async function auditAfterCreate(nodeId: string) {
    const trail = await auditTrail(core.db, 'node', nodeId);
    expect(trail[0]?.action).toBe('node.create');
    return trail.slice(1);
  }

  async function createNode(communityId = community) {
    const nodeKey = `hist-${randomUUID().slice(0, 8)}`;
    const a = nextChannelId();
    const b = nextChannelId();
    const node = (
      await api
        .post('/api/v1/nodes', {
          nodeKey,
          label: 'History tank',
          category: 'OHT',
          analyticsType: 'EvaraTank',
          communityId,
          channels: [
            { channelId: a, readKey: 'KEEPTHISKEY1', fieldMapping: { field2: 'distance_cm' } },
            { channelId: b, fieldMapping: { field1: 'temperature' } },
          ],
        })
        .expect(201)
    ).body.data;
    const channel = (n: number) => node.channels.find((c: { channelId: number }) => c.channelId === n) as { id: string; channelId: number };
    return { node, nodeKey, a: channel(a), b: channel(b) };
  }

  /** `count` readings on epoch 0 of the channel, one a day from DAY0 (entry ids from `first`). */
  async function storeReadings(nodeChannelId: string, count: number, first = 1): Promise<number> {
    const channelEpochId = await ensureChannelEpoch(core.db, nodeChannelId, 0);
    const rows = Array.from({ length: count }, (_, i) => ({ channelEpochId, entryId: first + i, recordedAt: new Date(DAY0 + (first - 1 + i) * 86_400_000), fields: { field1: '20', field2: `${40 + i}` } }));
    await insertReadings(core.db, rows);
    // What a poll would have left: the cursor on the highest entry, the count stored.
    await core.db('channel_sync_state').where({ node_channel_id: nodeChannelId }).update({ last_entry_id: first + count - 1, stored_count: first + count - 1 });
    return channelEpochId;
  }

  /** Readings stored under these channel epoch ids, straight from the table. */
  async function readingsOf(channelEpochIds: number[]): Promise<number> {
    const [row] = await core.db('readings').whereIn('channel_epoch_id', channelEpochIds).count<Array<{ count: string }>>('* as count');
    return Number(row?.count);
  }

  const listed = async (nodeId: string, query = '') => (await api.get(`/api/v1/nodes/${nodeId}/readings?limit=1000${query}`).expect(200)).body.data as Array<{ channelId: number; entryId: number }>;
  const pollable = async () => new Set((await core.repos.nodes.listPollableChannels()).map((c) => c.nodeChannelId));

  describe('PATCH /nodes/:id with channels', () => {
    test('when a PATCH lists only a new channel, then the channels left out stay, active, with every reading, mapping and key', async () => {
      const { node, a, b } = await createNode();
      const epochA = await storeReadings(a.id, 34);
      const before = await readingsOf([epochA]);
      const added = nextChannelId();

      const res = await api.patch(`/api/v1/nodes/${node.id}`, { channels: [{ channelId: added }] }).expect(200);

      expect(before).toBe(34);
      expect(await readingsOf([epochA])).toBe(34);
      expect((await listed(node.id, `&channelId=${a.channelId}`)).length).toBe(34);
      expect(res.body.data.channels.map((c: any) => [c.channelId, c.active])).toEqual([
        [a.channelId, true],
        [b.channelId, true],
        [added, true],
      ]);
      expect(res.body.data.channels[0]).toMatchObject({ id: a.id, hasReadKey: true, fieldMapping: { field2: 'distance_cm' }, sync: { storedEntries: 34, highestStoredEntryId: 34 } });
      const audit = await auditAfterCreate(node.id);
      expect(audit.map((e) => [e.action, e.details])).toEqual([['node.update', { channels: { added: [added], reactivated: [], deactivated: [], remapped: [], readKeyReplaced: [] } }]]);
    });

    test('when a PATCH lists a known channel with only a new mapping, then the mapping changes, its key, readings and cursor stay, and the remap is audited', async () => {
      const { node, a } = await createNode();
      const epochA = await storeReadings(a.id, 5);

      const res = await api.patch(`/api/v1/nodes/${node.id}`, { channels: [{ channelId: a.channelId, fieldMapping: { field2: 'distance_cm', field1: 'temperature' } }] }).expect(200);

      expect(res.body.data.channels[0]).toMatchObject({ id: a.id, active: true, hasReadKey: true, fieldMapping: { field1: 'temperature', field2: 'distance_cm' }, sync: { highestStoredEntryId: 5 } });
      expect(await readingsOf([epochA])).toBe(5);
      // Nothing was attached or detached: the entry names the remapped channel only.
      expect((await auditAfterCreate(node.id)).map((e) => [e.action, e.details])).toEqual([
        ['node.update', { channels: { added: [], reactivated: [], deactivated: [], remapped: [a.channelId], readKeyReplaced: [] } }],
      ]);
    });

    test('when channels is an empty list, then 400 says that leaving a channel out never removes it, and nothing changes', async () => {
      const { node } = await createNode();
      const res = await api.patch(`/api/v1/nodes/${node.id}`, { channels: [] }).expect(400);
      expect(res.body.message).toMatch(/body\.channels: .*never removes it.*DELETE \/api\/v1\/nodes\/\{id\}\/channels\/\{channelId\}/);
      expect((await api.get(`/api/v1/nodes/${node.id}`).expect(200)).body.data.channels).toHaveLength(2);
    });
  });

  describe('DELETE /nodes/:id/channels/:channelId', () => {
    test('when a channel is detached, then it is inactive, not polled, its readings are still listed, and the detach is audited once', async () => {
      const { node, a, b } = await createNode();
      const epochA = await storeReadings(a.id, 7);
      expect((await pollable()).has(a.id)).toBe(true);

      const res = await api.del(`/api/v1/nodes/${node.id}/channels/${a.channelId}`, distributorKey).expect(200);
      const again = await api.del(`/api/v1/nodes/${node.id}/channels/${a.channelId}`, distributorKey).expect(200);

      expect(res.body.data.channels.map((c: any) => [c.channelId, c.active])).toEqual([
        [a.channelId, false],
        [b.channelId, true],
      ]);
      expect(res.body.data.channels[0].sync).toMatchObject({ storedEntries: 7, highestStoredEntryId: 7 });
      expect(again.body.data.channels[0].active).toBe(false);
      const targets = await pollable();
      expect(targets.has(a.id)).toBe(false);
      expect(targets.has(b.id)).toBe(true);
      // An on-demand poll queues the active channel only.
      const poll = await api.post(`/api/v1/nodes/${node.id}/poll`, {}).expect(202);
      expect(poll.body.data.jobs.map((j: { nodeChannelId: string }) => j.nodeChannelId)).toEqual([b.id]);
      expect(await readingsOf([epochA])).toBe(7);
      expect((await listed(node.id)).filter((r) => r.channelId === a.channelId)).toHaveLength(7);
      expect(await listed(node.id, `&channelId=${a.channelId}`)).toHaveLength(7);
      const audit = await auditAfterCreate(node.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        action: 'node.channel.detach',
        actorLabel: expect.stringContaining('history distributor'),
        details: { channelId: a.channelId, nodeChannelId: a.id, readingsKept: 7 },
      });
    });

    test('when a detached channel is listed in a PATCH again, then it is active and polled again with its readings, cursor and key, and the attach is audited', async () => {
      const { node, a } = await createNode();
      const epochA = await storeReadings(a.id, 4);
      await api.del(`/api/v1/nodes/${node.id}/channels/${a.channelId}`).expect(200);

      const res = await api.patch(`/api/v1/nodes/${node.id}`, { channels: [{ channelId: a.channelId }] }).expect(200);

      expect(res.body.data.channels[0]).toMatchObject({ id: a.id, active: true, hasReadKey: true, fieldMapping: { field2: 'distance_cm' }, sync: { storedEntries: 4, highestStoredEntryId: 4 } });
      expect((await pollable()).has(a.id)).toBe(true);
      expect(await readingsOf([epochA])).toBe(4);
      expect(await listed(node.id, `&channelId=${a.channelId}`)).toHaveLength(4);
      expect((await auditAfterCreate(node.id)).map((e) => [e.action, e.details.channelId ?? (e.details.channels as { reactivated: number[] }).reactivated])).toEqual([
        ['node.channel.detach', a.channelId],
        ['node.update', [a.channelId]],
      ]);
    });

    test('when the channel is not a channel number or not on the node, then 400 or 404 say so', async () => {
      const { node, a, b } = await createNode();
      const notNumber = await api.del(`/api/v1/nodes/${node.id}/channels/${a.id}`).expect(400);
      expect(notNumber.body.details).toEqual([{ field: 'path.channelId', message: expect.stringMatching(/ThingSpeak channel number.*not the channel's uuid/) }]);
      expect((await api.del(`/api/v1/nodes/${node.id}/channels/-3`).expect(400)).body.message).toMatch(/path\.channelId/);
      const unknown = await api.del(`/api/v1/nodes/${node.id}/channels/${nextChannelId()}`).expect(404);
      expect(unknown.body).toMatchObject({ code: 'CHANNEL_NOT_FOUND', message: expect.stringContaining(`its channels: ${a.channelId}, ${b.channelId}`) });
      await api.del(`/api/v1/nodes/${randomUUID()}/channels/${a.channelId}`).expect(404);
      expect(await auditAfterCreate(node.id)).toEqual([]);
    });

    test('when a customer, or a distributor outside the node\'s communities, detaches, then 403 or 404 and the channel stays active', async () => {
      const { node, a } = await createNode(otherCommunity);
      const customer = await api.del(`/api/v1/nodes/${node.id}/channels/${a.channelId}`, customerKey).expect(403);
      expect(customer.body.message).toMatch(/superadmin, distributor/);
      await api.del(`/api/v1/nodes/${node.id}/channels/${a.channelId}`, distributorKey).expect(404);
      expect((await api.get(`/api/v1/nodes/${node.id}`).expect(200)).body.data.channels[0].active).toBe(true);
    });
  });

  describe('DELETE /nodes/:id', () => {
    test('when confirm is missing or is not the nodeKey, then 400 says what to send and nothing is deleted', async () => {
      const { node, a, b } = await createNode();
      const epochs = [await storeReadings(a.id, 6), await storeReadings(b.id, 2)];

      const missing = await api.del(`/api/v1/nodes/${node.id}`).expect(400);
      const wrong = await api.del(`/api/v1/nodes/${node.id}?confirm=${node.id}`).expect(400);

      expect(missing.body.details).toEqual([{ field: 'query.confirm', message: expect.stringMatching(/is required: the node's nodeKey/) }]);
      expect(wrong.body.message).toMatch(/query\.confirm: does not match the node's nodeKey: nothing was deleted.*deletes its 8 stored readings.*send \?confirm=<its nodeKey>/);
      expect((await api.get(`/api/v1/nodes/${node.id}`).expect(200)).body.data.channels).toHaveLength(2);
      expect(await readingsOf(epochs)).toBe(8);
      expect(await auditAfterCreate(node.id)).toEqual([]);
    });

    test('when confirm is the nodeKey, then 204, the node and its readings are gone, and the audit entry says who, which node and how many readings', async () => {
      const { node, nodeKey, a, b } = await createNode();
      const epochs = [await storeReadings(a.id, 6), await storeReadings(b.id, 3)];

      await api.del(`/api/v1/nodes/${node.id}?confirm=${nodeKey}`, distributorKey).expect(204);

      await api.get(`/api/v1/nodes/${node.id}`).expect(404);
      expect(await readingsOf(epochs)).toBe(0);
      const audit = await auditAfterCreate(node.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        action: 'node.delete',
        actorLabel: expect.stringContaining('history distributor'),
        details: {
          nodeKey,
          label: 'History tank',
          readingsDeleted: 9,
          channels: [
            { channelId: a.channelId, readingsDeleted: 6 },
            { channelId: b.channelId, readingsDeleted: 3 },
          ],
        },
      });
    });

    test('when the node is outside the key\'s scope, then 404 or 403 even with the right nodeKey, and it stays', async () => {
      const { node, nodeKey } = await createNode(otherCommunity);
      await api.del(`/api/v1/nodes/${node.id}?confirm=${nodeKey}`, distributorKey).expect(404);
      await api.del(`/api/v1/nodes/${node.id}?confirm=${nodeKey}`, customerKey).expect(403);
      await api.get(`/api/v1/nodes/${node.id}`).expect(200);
    });
  });

  describe('POST /nodes/:id/purge-readings', () => {
    const purge = (nodeId: string, body: unknown, key?: string) => api.post(`/api/v1/nodes/${nodeId}/purge-readings`, body, key);

    test('when a customer or a distributor asks, then 403 names the rule and nothing is deleted', async () => {
      const { node, nodeKey, a } = await createNode();
      const epochA = await storeReadings(a.id, 3);
      for (const key of [customerKey, distributorKey]) {
        const res = await purge(node.id, { confirm: nodeKey }, key).expect(403);
        expect(res.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/Purging readings deletes history for good, so only a superadmin key may do it/) });
      }
      expect(await readingsOf([epochA])).toBe(3);
      expect(await auditAfterCreate(node.id)).toEqual([]);
    });

    test('when a superadmin purges before a date, then only older readings go, the count is returned, the cursor stays, and it is audited', async () => {
      const { node, nodeKey, a, b } = await createNode();
      const epochA = await storeReadings(a.id, 10);
      const epochB = await storeReadings(b.id, 4);
      const before = new Date(DAY0 + 3 * 86_400_000).toISOString(); // days 0, 1, 2 of each channel

      const res = await purge(node.id, { confirm: nodeKey, before }).expect(200);

      expect(res.body.data).toEqual({ removed: 6, before, channels: [{ channelId: a.channelId, removed: 3 }, { channelId: b.channelId, removed: 3 }] });
      expect(await readingsOf([epochA])).toBe(7);
      expect(await readingsOf([epochB])).toBe(1);
      expect((await listed(node.id, `&channelId=${a.channelId}&order=asc`)).map((r) => r.entryId)).toEqual([4, 5, 6, 7, 8, 9, 10]);
      // The cursor is kept (the poller does not fetch purged entries again); the stored count follows the table.
      expect(await syncState(core, a.id)).toMatchObject({ last_entry_id: 10, stored_count: '7' });
      const audit = await auditAfterCreate(node.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: 'node.readings.purge', actorLabel: expect.stringContaining('history admin'), details: { nodeKey, before, channelId: null, removed: 6 } });
    });

    test('when a superadmin purges one channel without a date, then all its readings go and the other channel keeps its own', async () => {
      const { node, nodeKey, a, b } = await createNode();
      const epochA = await storeReadings(a.id, 5);
      const epochB = await storeReadings(b.id, 2);

      const res = await purge(node.id, { confirm: nodeKey, channelId: a.channelId }).expect(200);

      expect(res.body.data).toEqual({ removed: 5, before: null, channels: [{ channelId: a.channelId, removed: 5 }] });
      expect(await readingsOf([epochA])).toBe(0);
      expect(await readingsOf([epochB])).toBe(2);
      expect(await syncState(core, a.id)).toMatchObject({ last_entry_id: 5, stored_count: '0' });
      expect((await api.get(`/api/v1/nodes/${node.id}`).expect(200)).body.data.channels[0].active).toBe(true);
    });

    test('when the input is wrong, then 400 names the field and nothing is deleted', async () => {
      const { node, nodeKey, a } = await createNode();
      const epochA = await storeReadings(a.id, 3);
      const cases: Array<[unknown, RegExp]> = [
        [{}, /body\.confirm: is required: the node's nodeKey/],
        [{ confirm: 'not-the-key' }, /body\.confirm: does not match the node's nodeKey: nothing was deleted/],
        [{ confirm: nodeKey, before: 'last week' }, /body\.before: must be an ISO 8601 date-time/],
        [{ confirm: nodeKey, channelId: 'abc' }, /body\.channelId/],
        [{ confirm: nodeKey, channelId: 42 }, /body\.channelId: node .* has no channel 42 \(its channels: /],
        [{ confirm: nodeKey, everything: true }, /everything/],
      ];
      for (const [body, pattern] of cases) {
        const res = await purge(node.id, body);
        expect([res.status, res.body.message]).toEqual([400, expect.stringMatching(pattern)]);
      }
      await purge(randomUUID(), { confirm: nodeKey }).expect(404);
      expect(await readingsOf([epochA])).toBe(3);
      expect(await auditAfterCreate(node.id)).toEqual([]);
    });

    test('when a channel is still importing its history, then 409 and nothing is deleted', async () => {
      const { node, nodeKey, a } = await createNode();
      const epochA = await storeReadings(a.id, 3);
      await core.db('channel_sync_state').where({ node_channel_id: a.id }).update({ backfill_until: new Date(DAY0) });

      const res = await purge(node.id, { confirm: nodeKey }).expect(409);

      expect(res.body).toMatchObject({ code: 'IMPORT_IN_PROGRESS', message: expect.stringContaining(`Channel ${a.channelId} is still importing`) });
      expect(await readingsOf([epochA])).toBe(3);
    });
  });
});

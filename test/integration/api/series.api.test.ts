import { randomUUID } from 'node:crypto';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { createNode, nextChannelId } from '../../helpers/factories';
import { insertReadings, type ReadingToStore } from '../../../src/shared/readings/reading-writer';
import { updateRollups } from '../../../src/shared/rollups/update-rollups';

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 10 * HOUR;

/** GET /nodes/:id/series: rollup buckets (1h, 1d) and raw points, scoped like every node route. */
describe('API: GET /nodes/:id/series', () => {
  let core: TestCore;
  let api: ApiClient;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }, 'series admin'));
  });

  afterAll(async () => {
    await core.close();
  });

  /** A tank node (temperature, distance_cm) with a second channel writing temperature, and readings stored under each. */
  async function tankWithReadings(first: Array<[number, number]>, second: Array<[number, number]> = []) {
    const { node } = await createNode(core, {
      channels: [
        { channelId: nextChannelId(), fieldMapping: { field1: 'temperature', field2: 'distance_cm' }, active: true },
        { channelId: nextChannelId(), fieldMapping: { field1: 'temperature' }, active: true },
      ],
    });
    const epochs = await core.db('channel_epochs').whereIn('node_channel_id', node.channels.map((c) => c.id)).select('id', 'node_channel_id');
    const epochOf = (i: number) => epochs.find((e: { node_channel_id: string }) => e.node_channel_id === node.channels[i]!.id)!.id as number;
    const rows = (i: number, points: Array<[number, number]>, fields: (v: number) => Record<string, string>): ReadingToStore[] =>
      points.map(([ms, v], k) => ({ channelEpochId: epochOf(i), entryId: k + 1, recordedAt: new Date(ms), fields: fields(v) }));
    await insertReadings(core.db, [...rows(0, first, (d) => ({ field1: '25', field2: String(d) })), ...rows(1, second, (t) => ({ field1: String(t) }))]);
    // Their cursors, as a poll that stored them leaves them.
    for (const [i, points] of [first, second].entries()) await core.db('channel_sync_state').where({ node_channel_id: node.channels[i]!.id }).update({ last_entry_id: points.length });
    await updateRollups({ db: core.db }, core.log);
    return node;
  }

  test('when hourly buckets are asked, then each hour with readings answers count, min, max, avg, first and last, oldest first, channels merged', async () => {
    const node = await tankWithReadings(
      [
        [T0, 46],
        [T0 + 20 * 60_000, 100],
        [T0 + 3 * HOUR, 163],
      ],
      [[T0 + 30 * 60_000, 31]],
    );
    const from = new Date(T0 - HOUR).toISOString();
    const to = new Date(T0 + 5 * HOUR).toISOString();

    const distance = await api.get(`/api/v1/nodes/${node.id}/series?metric=distance_cm&bucket=1h&from=${from}&to=${to}`).expect(200);
    const temperature = await api.get(`/api/v1/nodes/${node.id}/series?metric=temperature&from=${from}&to=${to}`).expect(200);

    expect(distance.body).toEqual({
      data: [
        { bucketStart: new Date(T0).toISOString(), count: 2, min: 46, max: 100, avg: 73, first: 46, last: 100 },
        { bucketStart: new Date(T0 + 3 * HOUR).toISOString(), count: 1, min: 163, max: 163, avg: 163, first: 163, last: 163 },
      ],
      series: { nodeId: node.id, metric: 'distance_cm', bucket: '1h', from, to, truncated: false, maxPoints: null },
    });
    // Both channels report temperature: 25, 25 from the first, 31 at 00:30 from the second.
    expect(temperature.body.data[0]).toEqual({ bucketStart: new Date(T0).toISOString(), count: 3, min: 25, max: 31, avg: 27, first: 25, last: 31 });
    expect(temperature.body.series.bucket).toBe('1h');
  });

  test('when daily buckets are asked with no range, then the last 30 days are answered from the day rollups', async () => {
    const node = await tankWithReadings([
      [T0, 46],
      [T0 + DAY, 163],
    ]);

    const res = await api.get(`/api/v1/nodes/${node.id}/series?metric=level_pct&bucket=1d`).expect(200);

    expect(res.body.data).toEqual([
      { bucketStart: new Date(T0 - 10 * HOUR).toISOString(), count: 1, min: 71.8, max: 71.8, avg: 71.8, first: 71.8, last: 71.8 },
      { bucketStart: new Date(T0 - 10 * HOUR + DAY).toISOString(), count: 1, min: 0, max: 0, avg: 0, first: 0, last: 0 },
    ]);
    expect(Date.parse(res.body.series.to) - Date.parse(res.body.series.from)).toBe(30 * DAY);
  });

  test('when raw points are asked beyond 10,000 readings, then the oldest 10,000 are answered, one per reading, and truncated says so', async () => {
    const points: Array<[number, number]> = Array.from({ length: 10_003 }, (_, i) => [T0 + i * 1_000, 100 + (i % 50)]);
    const node = await tankWithReadings(points);
    const q = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 4 * HOUR).toISOString()}`;

    const cut = await api.get(`/api/v1/nodes/${node.id}/series?metric=distance_cm&bucket=raw&${q}`).expect(200);
    const small = await api.get(`/api/v1/nodes/${node.id}/series?metric=distance_cm&bucket=raw&from=${new Date(T0).toISOString()}&to=${new Date(T0 + 2_000).toISOString()}`).expect(200);

    expect(cut.body.data).toHaveLength(10_000);
    expect(cut.body.series).toMatchObject({ bucket: 'raw', truncated: true, maxPoints: 10_000 });
    expect(cut.body.data[0]).toEqual({ bucketStart: new Date(T0).toISOString(), count: 1, min: 100, max: 100, avg: 100, first: 100, last: 100 });
    expect(cut.body.data[9_999].bucketStart).toBe(new Date(T0 + 9_999_000).toISOString());
    // The range's end is included.
    expect(small.body.data.map((p: any) => p.first)).toEqual([100, 101, 102]);
    expect(small.body.series).toMatchObject({ truncated: false, maxPoints: 10_000 });
  });

  test('when the metric is not one the node reports, then 400 lists the ones it does', async () => {
    const node = await tankWithReadings([[T0, 46]]);

    const res = await api.get(`/api/v1/nodes/${node.id}/series?metric=flow_rate`).expect(400);
    const missing = await api.get(`/api/v1/nodes/${node.id}/series`).expect(400);

    expect(res.body.message).toContain('does not report "flow_rate"');
    expect(res.body.message).toContain('it reports: distance_cm, level_pct, temperature, volume_l');
    expect(missing.body.message).toContain('query.metric: is required; it reports: distance_cm, level_pct, temperature, volume_l');
  });

  test('when from is not before to or bucket is unknown, then 400 says which', async () => {
    const node = await tankWithReadings([[T0, 46]]);

    const reversed = await api.get(`/api/v1/nodes/${node.id}/series?metric=distance_cm&from=${new Date(T0).toISOString()}&to=${new Date(T0 - 1).toISOString()}`).expect(400);
    const bucket = await api.get(`/api/v1/nodes/${node.id}/series?metric=distance_cm&bucket=5m`).expect(400);

    expect(reversed.body.message).toContain('query.from: must be earlier than query.to');
    expect(bucket.body.message).toContain('query.bucket');
  });

  test('when the node is outside the caller\'s scope (or does not exist), then 404 NODE_NOT_FOUND', async () => {
    const node = await tankWithReadings([[T0, 46]]);
    const elsewhere = await core.repos.communities.create({ slug: `series-${randomUUID().slice(0, 8)}`, name: 'Elsewhere', distributorId: null });
    const outsider = await issueKey(core, { role: 'customer', communityId: (elsewhere as { id: string }).id }, 'series outsider');

    const hidden = await api.get(`/api/v1/nodes/${node.id}/series?metric=distance_cm`, outsider).expect(404);
    const unknown = await api.get(`/api/v1/nodes/${randomUUID()}/series?metric=distance_cm`).expect(404);

    expect(hidden.body.code).toBe('NODE_NOT_FOUND');
    expect(unknown.body.code).toBe('NODE_NOT_FOUND');
  });
});

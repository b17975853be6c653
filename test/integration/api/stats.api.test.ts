import { randomUUID } from 'node:crypto';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import { insertReadings } from '../../helpers/alerts';

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON */

const H = 3_600_000;
const D = 24 * H;

/**
 * Issue 15 item 3: consumption, days to empty, flow litres and completeness from stored readings,
 * and the fleet view, scoped to the caller.
 */
describe('API: node stats and fleet stats', () => {
  let core: TestCore;
  let admin: ApiClient;
  let distributorA: string;
  let customerA: string;
  let customerB: string;
  let communityA: string;
  let communityB: string;
  /** Midnight UTC today, when the tests were seeded. */
  let today0: number;
  let tank: any;
  let meter: any;

  // A 1 m cube: 1,000 L, H = 100 cm, so a distance of d cm leaves 1000 - 10 d litres.
  const cube = { tank: { shape: 'rectangular', unit: 'm', height: 1, length: 1, breadth: 1 } };
  const distanceFor = (litres: number) => 100 - litres / 10;

  /** Litres every 6 h from 6 days before today, 4 readings a day for 6 days (the 11th is a refill). */
  const TANK_LITRES = [300, 280, 260, 240, 220, 200, 180, 160, 140, 120, 350, 330, 310, 290, 270, 250, 230, 210, 190, 170, 150, 130, 110, 90];

  async function createNode(body: Record<string, unknown>, communityId: string): Promise<any> {
    return (
      await admin
        .post('/api/v1/nodes', { nodeKey: `stats-${randomUUID().slice(0, 8)}`, label: 'Stats node', communityId, expectedIntervalS: 21_600, ...body })
        .expect(201)
    ).body.data;
  }

  /** What a poll would have left in node_state (the readings here are inserted directly). */
  async function setState(nodeId: string, state: { levelPct?: number; volumeL?: number; lastReadingAt: Date }) {
    await core
      .db('node_state')
      .where({ node_id: nodeId })
      .update({ level_pct: state.levelPct ?? null, volume_l: state.volumeL ?? null, capacity_l: state.volumeL === undefined ? null : 1000, last_reading_at: state.lastReadingAt });
  }

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    admin = apiClient(core, await issueKey(core, { role: 'superadmin' }, 'stats admin'));
    const suffix = randomUUID().slice(0, 6);
    const dA = (await admin.post('/api/v1/distributors', { name: `Stats A ${suffix}` }).expect(201)).body.data.id;
    const dB = (await admin.post('/api/v1/distributors', { name: `Stats B ${suffix}` }).expect(201)).body.data.id;
    communityA = (await admin.post('/api/v1/communities', { slug: `stats-a-${suffix}`, name: 'Stats A', distributorId: dA }).expect(201)).body.data.id;
    communityB = (await admin.post('/api/v1/communities', { slug: `stats-b-${suffix}`, name: 'Stats B', distributorId: dB }).expect(201)).body.data.id;
    distributorA = await issueKey(core, { role: 'distributor', distributorId: dA }, 'stats distributor A');
    customerA = await issueKey(core, { role: 'customer', communityId: communityA }, 'stats customer A');
    customerB = await issueKey(core, { role: 'customer', communityId: communityB }, 'stats customer B');
    today0 = Math.floor(Date.now() / D) * D;

    tank = await createNode(
      { label: 'Low OHT', category: 'OHT', analyticsType: 'EvaraTank', config: cube, channels: [{ channelId: nextChannelId(), fieldMapping: { field1: 'temperature', field2: 'distance_cm' } }] },
      communityA,
    );
    const start = today0 - 6 * D;
    const tankEntries: Array<{ at: number; fields: Record<string, number | 'nan'> }> = TANK_LITRES.map((l, i) => ({ at: start + i * 6 * H, fields: { field1: 24, field2: distanceFor(l) } }));
    // An invalid reading (NaN distance) yesterday at 09:00: stored and counted, but no volume.
    tankEntries.push({ at: today0 - D + 9 * H, fields: { field1: 24, field2: 'nan' } });
    tankEntries.sort((a, b) => a.at - b.at);
    await insertReadings(core, { nodeId: tank.id, nodeChannelId: tank.channels[0].id }, tankEntries);
    await setState(tank.id, { levelPct: 9, volumeL: 90, lastReadingAt: new Date(start + 23 * 6 * H) });

    meter = await createNode(
      { label: 'Main meter', category: 'FlowMeter', analyticsType: 'EvaraFlow', expectedIntervalS: 3600, channels: [{ channelId: nextChannelId(), fieldMapping: { field1: 'flow_rate', field2: 'totaliser_l' } }] },
      communityA,
    );
    const totals: Array<[number, number]> = [
      [today0 - 2 * D + 1 * H, 1000],
      [today0 - 2 * D + 12 * H, 1600],
      [today0 - D + 2 * H, 1900],
      [today0 - D + 3 * H, 20],
      [today0 - D + 10 * H, 520],
      [today0 - D + 11 * H, 400],
      [today0 - D + 12 * H, 450],
    ];
    await insertReadings(
      core,
      { nodeId: meter.id, nodeChannelId: meter.channels[0].id },
      totals.map(([at, total]) => ({ at, fields: { field1: 3, field2: total } })),
    );
    await setState(meter.id, { lastReadingAt: new Date(Date.now() - 5 * 60_000) });
  });

  afterAll(async () => {
    await core.close();
  });

  describe('GET /nodes/:id/stats', () => {
    test('when a tank drains and is refilled, then each day has its litres drawn, refilled and net, and days to empty follows the 7-day drain', async () => {
      const res = await admin.get(`/api/v1/nodes/${tank.id}/stats?days=7`).expect(200);
      const s = res.body.data;
      expect(s).toMatchObject({ nodeId: tank.id, analyticsType: 'EvaraTank', kind: 'tank', from: new Date(today0 - 6 * D).toISOString() });
      // Day -6: 300 -> 280 -> 260 -> 240 (the first has no predecessor): drawn 60.
      // Day -5: 240 -> 220 ... 160: drawn 80. Day -4: 160 -> 140 -> 120 (drawn 40), -> 350 (refilled 230), -> 330 (drawn 20).
      // Days -3, -2, -1: drawn 80 each (the NaN reading is skipped, not 0 L). Today: no reading, null.
      expect(s.days.map((d: any) => [d.drawnL, d.refilledL, d.netL])).toEqual([
        [60, 0, -60],
        [80, 0, -80],
        [60, 230, 170],
        [80, 0, -80],
        [80, 0, -80],
        [80, 0, -80],
        [null, null, null],
      ]);
      // 6 h interval: 4 readings expected a day; yesterday stored 5 (one NaN): capped at 1.
      expect(s.days.slice(0, 6).map((d: any) => [d.readings, d.expected, d.completeness])).toEqual([
        [4, 4, 1],
        [4, 4, 1],
        [4, 4, 1],
        [4, 4, 1],
        [4, 4, 1],
        [5, 4, 1],
      ]);
      expect(s.days[6]).toMatchObject({ readings: 0, completeness: 0, flowL: null, totaliserResets: 0 });
      // 24 valid readings from 300 L (6 days ago, 00:00) to 90 L (yesterday 18:00): 5.75 days.
      // Drain (300 - 90) / 5.75 = 36.52 L/day; days to empty 90 / 36.5217 = 2.46.
      expect(s.daysToEmpty).toBe(2.46);
      expect(s.daysToEmptyBasis).toEqual({ windowDays: 7, readings: 24, spanHours: 138, netDrainLPerDay: 36.5, reason: null });
    });

    test('when a flow meter has a totaliser, then its litres per day are the deltas and a drop to near zero is a reset', async () => {
      const s = (await admin.get(`/api/v1/nodes/${meter.id}/stats?days=3`).expect(200)).body.data;
      expect(s.kind).toBe('flow');
      // Day -2: 1000 -> 1600: 600. Day -1: 1600 -> 1900 (+300), -> 20 (< 5 % of 1900: reset, +20), -> 520 (+500),
      // -> 400 (a drop that is no reset: ignored), -> 450 (+50): 870 with one reset. Today: no reading.
      expect(s.days.map((d: any) => [d.flowL, d.totaliserResets, d.readings, d.drawnL])).toEqual([
        [600, 0, 2, null],
        [870, 1, 5, null],
        [null, 0, 0, null],
      ]);
      expect(s.daysToEmpty).toBeNull();
      expect(s.daysToEmptyBasis.reason).toBe('not a tank');
    });

    test('when a flow meter has only a rate, then the rate is integrated over time (L/min by default)', async () => {
      const rateMeter = await createNode(
        { label: 'Rate meter', category: 'FlowMeter', analyticsType: 'EvaraFlow', expectedIntervalS: 600, channels: [{ channelId: nextChannelId(), fieldMapping: { field1: 'flow_rate' } }] },
        communityA,
      );
      // Yesterday 00:00, 00:10, 00:20 at 10, 10, 20 L/min: 10 * 10 + (10 + 20) / 2 * 10 = 250 L.
      const y = today0 - D;
      await insertReadings(core, { nodeId: rateMeter.id, nodeChannelId: rateMeter.channels[0].id }, [
        { at: y, fields: { field1: 10 } },
        { at: y + 600_000, fields: { field1: 10 } },
        { at: y + 1_200_000, fields: { field1: 20 } },
      ]);
      const s = (await admin.get(`/api/v1/nodes/${rateMeter.id}/stats?days=2`).expect(200)).body.data;
      expect(s.days[0]).toMatchObject({ flowL: 250, readings: 3, expected: 144 });
      // Deleted, so that community A holds exactly the four nodes the fleet tests count.
      await admin.del(`/api/v1/nodes/${rateMeter.id}?confirm=${rateMeter.nodeKey}`).expect(204);
    });

    test('when a tank keeps its distance in field5 (stored as text), then the readings are decoded in full and give the same kind of answer', async () => {
      const wide = await createNode(
        { label: 'Wide channel tank', category: 'Sump', analyticsType: 'EvaraTank', config: cube, channels: [{ channelId: nextChannelId(), fieldMapping: { field1: 'temperature', field5: 'distance_cm' } }] },
        communityA,
      );
      // Yesterday 800 L (20 cm) -> 650 L (35 cm) -> 700 L (30 cm): drawn 150, refilled 50.
      const y = today0 - D;
      await insertReadings(core, { nodeId: wide.id, nodeChannelId: wide.channels[0].id }, [
        { at: y + H, fields: { field1: 20, field5: 20 } },
        { at: y + 2 * H, fields: { field1: 20, field5: 35 } },
        { at: y + 3 * H, fields: { field1: 20, field5: 30 } },
      ]);
      const s = (await admin.get(`/api/v1/nodes/${wide.id}/stats?days=2`).expect(200)).body.data;
      expect(s.days.map((d: any) => [d.drawnL, d.refilledL, d.netL])).toEqual([
        [150, 50, -100],
        [null, null, null],
      ]);
      await admin.del(`/api/v1/nodes/${wide.id}?confirm=${wide.nodeKey}`).expect(204);
    });

    test('when days is missing, then 30 days are answered; out of 1..366 or not a number, then 400 says so', async () => {
      const s = (await admin.get(`/api/v1/nodes/${tank.id}/stats`).expect(200)).body.data;
      expect(s.days).toHaveLength(30);
      expect(s.days[29].day).toBe(new Date(today0).toISOString().slice(0, 10));
      for (const bad of ['0', '367', 'abc', '2.5']) {
        const res = await admin.get(`/api/v1/nodes/${tank.id}/stats?days=${bad}`).expect(400);
        expect(res.body.message).toContain('query.days');
      }
      expect((await admin.get(`/api/v1/nodes/${tank.id}/stats?day=3`).expect(400)).body.message).toMatch(/day/);
    });

    test('when the node is outside the caller scope or does not exist, then 404 NODE_NOT_FOUND', async () => {
      expect((await admin.get(`/api/v1/nodes/${tank.id}/stats`, customerB).expect(404)).body.code).toBe('NODE_NOT_FOUND');
      expect((await admin.get(`/api/v1/nodes/${randomUUID()}/stats`).expect(404)).body.code).toBe('NODE_NOT_FOUND');
      await admin.get(`/api/v1/nodes/${tank.id}/stats?days=1`, customerA).expect(200);
    });
  });

  describe('GET /stats/fleet', () => {
    let sump: any;
    let full: any;
    let tankB: any;

    beforeAll(async () => {
      const tankBody = (label: string, category: string) => ({ label, category, analyticsType: 'EvaraTank', config: cube, channels: [{ channelId: nextChannelId(), fieldMapping: { field2: 'distance_cm' } }] });
      sump = await createNode(tankBody('Low sump', 'Sump'), communityA);
      full = await createNode(tankBody('Full OHT', 'OHT'), communityA);
      tankB = await createNode(tankBody('Other tenant tank', 'OHT'), communityB);
      await setState(sump.id, { levelPct: 15, volumeL: 150, lastReadingAt: new Date(Date.now() - 3 * D) });
      await setState(full.id, { levelPct: 80, volumeL: 800, lastReadingAt: new Date(Date.now() - 30 * 60_000) });
      await setState(tankB.id, { levelPct: 5, volumeL: 50, lastReadingAt: new Date(Date.now() - 10 * 60_000) });
    });

    test('when a distributor asks, then counts, reporting share and low tanks cover only its communities', async () => {
      const f = (await admin.get('/api/v1/stats/fleet', distributorA).expect(200)).body.data;
      // Community A: the low tank, the meter, the sump and the full tank.
      expect(f.nodes).toBe(4);
      expect(f.byCategory).toMatchObject({ OHT: 2, Sump: 1, FlowMeter: 1, Borewell: 0 });
      expect(Object.values(f.byStatus).reduce((a: number, b: any) => a + b, 0)).toBe(4);
      // Reporting in the last hour: the meter (5 min ago) and the full tank (30 min ago): 2 of 4.
      expect(f.reportingLastHour).toEqual({ count: 2, share: 0.5 });
      // Below 20 %: the tank at 9 %, then the sump at 15 %; the other tenant's 5 % tank is not there.
      expect(f.lowTanks).toMatchObject({ belowPct: 20, total: 2, limit: 20 });
      expect(f.lowTanks.items.map((t: any) => [t.nodeId, t.levelPct])).toEqual([
        [tank.id, 9],
        [sump.id, 15],
      ]);
      // Days to empty as the node's own stats compute it (from the SQL ends of the 7-day window).
      const own = (await admin.get(`/api/v1/nodes/${tank.id}/stats?days=1`).expect(200)).body.data;
      expect(f.lowTanks.items[0]).toMatchObject({ label: 'Low OHT', category: 'OHT', volumeL: 90, daysToEmpty: 2.46, daysToEmptyBasis: own.daysToEmptyBasis });
      expect(f.lowTanks.items[1].daysToEmpty).toBeNull();
      expect(f.lowTanks.items[1].daysToEmptyBasis.reason).toMatch(/^too thin: 0 valid volume readings/);
    });

    test('when lowTanksLimit is 1, then only the lowest tank is listed and total still counts both', async () => {
      const f = (await admin.get('/api/v1/stats/fleet?lowTanksLimit=1', customerA).expect(200)).body.data;
      expect(f.lowTanks.total).toBe(2);
      expect(f.lowTanks.items.map((t: any) => t.nodeId)).toEqual([tank.id]);
      expect((await admin.get('/api/v1/stats/fleet?lowTanksLimit=101', customerA).expect(400)).body.message).toContain('query.lowTanksLimit');
    });

    test('when the other tenant asks, then it sees only its own node', async () => {
      const f = (await admin.get('/api/v1/stats/fleet', customerB).expect(200)).body.data;
      expect(f).toMatchObject({ nodes: 1, reportingLastHour: { count: 1, share: 1 }, lowTanks: { total: 1 } });
      expect(f.lowTanks.items.map((t: any) => t.nodeId)).toEqual([tankB.id]);
    });

    test('when the superadmin asks, then both tenants are counted', async () => {
      const f = (await admin.get('/api/v1/stats/fleet?lowTanksLimit=100').expect(200)).body.data;
      expect(f.nodes).toBeGreaterThanOrEqual(5);
      expect(f.lowTanks.total).toBeGreaterThanOrEqual(3);
    });
  });
});

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseCsv } from 'csv-parse/sync';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import { waitFor } from '../../helpers/wait-for';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { ensureChannelEpoch } from '../../../src/shared/readings/channel-epochs';
import { insertReadings } from '../../../src/shared/readings/reading-writer';
import { poolStats } from '../../../src/shared/db/db-status';
import type { OpenAlertInput } from '../../../src/shared/alerts/alerts.repository';

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const BIG_ROWS = 300_000;

/** Issue 15 item 4: CSV exports of readings and alerts, streamed from a database cursor. */
describe('API: CSV exports', () => {
  let core: TestCore;
  let api: ApiClient;
  let adminKey: string;
  let community: string;
  let otherCommunity: string;
  let customerKey: string;
  let otherCustomerKey: string;

  beforeAll(async () => {
    // A pool statement timeout far below how long the slow-reader test keeps its export open.
    core = createTestCore({ EXPORT_MAX_CONCURRENT: '1', DATABASE_STATEMENT_TIMEOUT_MS: '1000', EXPORT_TIMEOUT_MS: '60000' }, 'api');
    adminKey = await issueKey(core, { role: 'superadmin' }, 'export admin');
    api = apiClient(core, adminKey);
    const suffix = randomUUID().slice(0, 6);
    community = (await api.post('/api/v1/communities', { slug: `exp-${suffix}`, name: 'Export' }).expect(201)).body.data.id;
    otherCommunity = (await api.post('/api/v1/communities', { slug: `exp-o-${suffix}`, name: 'Elsewhere' }).expect(201)).body.data.id;
    customerKey = await issueKey(core, { role: 'customer', communityId: community }, 'export customer');
    otherCustomerKey = await issueKey(core, { role: 'customer', communityId: otherCommunity }, 'other customer');
  });

  afterAll(async () => {
    await core.close();
  });

  async function createNode(channels: Array<{ channelId: number; fieldMapping: Record<string, string> }>, communityId = community) {
    const body = (
      await api
        .post('/api/v1/nodes', { nodeKey: `exp-${randomUUID().slice(0, 8)}`, label: 'Export tank', category: 'OHT', analyticsType: 'EvaraTank', communityId, channels })
        .expect(201)
    ).body.data;
    const epochOf = async (channelId: number) => ensureChannelEpoch(core.db, body.channels.find((c: { channelId: number }) => c.channelId === channelId).id, 0);
    return { id: body.id as string, epochOf };
  }

  /** `n` readings on one epoch, one a second from T0, written in one INSERT ... SELECT (fast, no statement timeout). */
  async function seedMany(channelEpochId: number, n: number): Promise<void> {
    await core.db.transaction(async (trx) => {
      await trx.raw("SELECT set_config('statement_timeout', '0', true)");
      await trx.raw(
        `INSERT INTO readings (recorded_at, channel_epoch_id, entry_id, f1, f2)
         SELECT to_timestamp(?::float8 / 1000) + g * interval '1 second', ?, g, 20 + g % 10, 40 + (g % 100) * 0.5 FROM generate_series(1, ?) g`,
        [T0, channelEpochId, n],
      );
    });
  }

  /** A plain HTTP GET on a listening copy of the app, for reading the body at our own pace. */
  async function openDownload(path: string, key = adminKey) {
    const server = http.createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${key}` } }, resolve).on('error', reject);
    });
    res.pause();
    return {
      res,
      /** Reads the rest; resolves with the text and whether the transfer ended properly. */
      async readAll(): Promise<{ text: string; complete: boolean }> {
        const chunks: Buffer[] = [];
        return new Promise((resolve) => {
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), complete: res.complete }));
          res.on('error', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), complete: false }));
          res.on('aborted', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), complete: false }));
          res.resume();
        });
      },
      /** The client goes away (its socket closes); the server stays up. */
      disconnect() {
        res.destroy();
      },
      async close() {
        res.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** Export queries running now in this test database (a cursor between fetches stays 'active'). */
  async function runningExportQueries(): Promise<number> {
    const { rows } = await core.db.raw<{ rows: Array<{ n: string }> }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%from "readings" where "channel_epoch_id" in%'`,
    );
    return Number(rows[0]?.n);
  }

  describe('GET /nodes/:id/readings.csv', () => {
    test('when readings hold commas, quotes, CRLFs, empty and unmapped fields, then the CSV has one header row, RFC 4180 quoting, ISO UTC times, raw and parsed values', async () => {
      const a = nextChannelId();
      const b = nextChannelId();
      const node = await createNode([
        { channelId: a, fieldMapping: { field1: 'temperature', field2: 'distance_cm' } },
        { channelId: b, fieldMapping: { field2: 'humidity' } },
      ]);
      const ea = await node.epochOf(a);
      const eb = await node.epochOf(b);
      await insertReadings(core.db, [
        // The lab11-573971 fixture's values: "nan" and "nan\r\n\r\n".
        { channelEpochId: ea, entryId: 1, recordedAt: new Date(T0), fields: { field1: 'nan', field2: 'nan\r\n\r\n' } },
        { channelEpochId: ea, entryId: 2, recordedAt: new Date(T0 + 1000), fields: { field1: '12,5', field2: 'say "hi"', field5: '7' } },
        { channelEpochId: eb, entryId: 1, recordedAt: new Date(T0 + 2000), fields: { field1: '', field2: '30.72' } },
        { channelEpochId: ea, entryId: 3, recordedAt: new Date(T0 + 3000), fields: { field1: ' 25.81', field2: '46' } },
      ]);

      const res = await api.get(`/api/v1/nodes/${node.id}/readings.csv`).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="readings-${node.id}.csv"`);
      const text = res.text;
      const lines = text.split('\r\n');
      expect(lines[0]).toBe('recorded_at,channel_id,epoch,entry_id,temperature,temperature_raw,distance_cm,distance_cm_raw,humidity,humidity_raw,other_fields_raw');
      expect(lines[1]).toBe(`2026-11-20T08:00:00.000Z,${a},0,1,,nan,,"nan`);
      // The raw texts exactly, quoted where RFC 4180 asks (comma, quote doubled, CRLF inside quotes).
      expect(text).toContain(`,"nan\r\n\r\n",,,\r\n`);
      expect(text).toContain(`2026-11-20T08:00:01.000Z,${a},0,2,12.5,"12,5",,"say ""hi""",,,"{""field5"":""7""}"\r\n`);
      // An empty string is "" (ThingSpeak sent it); an absent field is an empty cell.
      expect(text).toContain(`2026-11-20T08:00:02.000Z,${b},0,1,,,,,30.72,30.72,"{""field1"":""""}"\r\n`);
      expect(text.endsWith(`2026-11-20T08:00:03.000Z,${a},0,3,25.81, 25.81,46,46,,,\r\n`)).toBe(true);

      const records = parseCsv(text, { columns: true }) as Array<Record<string, string>>;
      expect(records.map((r) => [r.channel_id, r.entry_id])).toEqual([[`${a}`, '1'], [`${a}`, '2'], [`${b}`, '1'], [`${a}`, '3']]);
      expect(records[0]!.distance_cm_raw).toBe('nan\r\n\r\n');
      expect(records[1]!.distance_cm_raw).toBe('say "hi"');
      expect(JSON.parse(records[2]!.other_fields_raw!)).toEqual({ field1: '' });

      const window = await api.get(`/api/v1/nodes/${node.id}/readings.csv?from=2026-11-20T08:00:01Z&to=2026-11-20T08:00:03Z&channelId=${a}`).expect(200);
      const rows = parseCsv(window.text, { columns: true }) as Array<Record<string, string>>;
      expect(rows.map((r) => r.entry_id)).toEqual(['2']);
    });

    test('when the node has no readings in the window, then the CSV is the header row alone', async () => {
      const node = await createNode([{ channelId: nextChannelId(), fieldMapping: { field2: 'distance_cm' } }]);
      const res = await api.get(`/api/v1/nodes/${node.id}/readings.csv`).expect(200);
      expect(res.text).toBe('recorded_at,channel_id,epoch,entry_id,distance_cm,distance_cm_raw,other_fields_raw\r\n');
    });

    test('when the query is bad or the node is outside the scope, then the usual JSON errors come back', async () => {
      const node = await createNode([{ channelId: nextChannelId(), fieldMapping: { field2: 'distance_cm' } }]);
      const reversed = await api.get(`/api/v1/nodes/${node.id}/readings.csv?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z`).expect(400);
      expect(reversed.body.message).toContain('query.from: must be earlier than query.to');
      const notIso = await api.get(`/api/v1/nodes/${node.id}/readings.csv?from=yesterday`).expect(400);
      expect(JSON.stringify(notIso.body)).toContain('must be an ISO 8601 date-time');
      await api.get(`/api/v1/nodes/${node.id}/readings.csv?limit=5`).expect(400);
      const outside = await api.get(`/api/v1/nodes/${node.id}/readings.csv`, otherCustomerKey).expect(404);
      expect(outside.body.code).toBe('NODE_NOT_FOUND');
      expect(outside.headers['content-type']).toMatch(/^application\/json/);
      await api.get(`/api/v1/nodes/${node.id}/readings.csv`, customerKey).expect(200);
    });
  });

  describe('GET /nodes/:id/readings with Accept: text/csv', () => {
    test('when the client asks for text/csv, then it gets the CSV export; otherwise the JSON page', async () => {
      const ch = nextChannelId();
      const node = await createNode([{ channelId: ch, fieldMapping: { field2: 'distance_cm' } }]);
      await insertReadings(core.db, [{ channelEpochId: await node.epochOf(ch), entryId: 1, recordedAt: new Date(T0), fields: { field2: '46' } }]);

      const csv = await api.get(`/api/v1/nodes/${node.id}/readings`).set('Accept', 'text/csv').expect(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      const file = await api.get(`/api/v1/nodes/${node.id}/readings.csv`).expect(200);
      expect(csv.text).toBe(file.text);

      const json = await api.get(`/api/v1/nodes/${node.id}/readings`).set('Accept', 'application/json, text/csv;q=0.5').expect(200);
      expect(json.body.data[0].values.distance_cm.raw).toBe('46');
      expect((await api.get(`/api/v1/nodes/${node.id}/readings`).expect(200)).body.data).toHaveLength(1);
      // The CSV takes only the export's parameters: a page size means the client wanted JSON.
      const paged = await api.get(`/api/v1/nodes/${node.id}/readings?limit=5`).set('Accept', 'text/csv').expect(400);
      expect(paged.body.message).toContain('limit');
    });
  });

  describe('GET /alerts.csv', () => {
    async function openAlert(nodeId: string, communityId: string, overrides: Partial<OpenAlertInput> = {}) {
      return (await core.repos.alerts.open(core.db, {
        nodeId,
        communityId,
        ruleId: null,
        conditionKey: `test:${randomUUID()}`,
        kind: 'threshold',
        severity: 'critical',
        title: 'Tank low',
        message: 'level is 5, "very" low\r\nrefill',
        metric: 'level_pct',
        value: 5,
        threshold: 20,
        triggeredAt: new Date(),
        catchUp: false,
        ...overrides,
      }))!;
    }

    test("when alerts are exported with the list's filters, then exactly the list's alerts in scope come back, newest first", async () => {
      const mine = await createNode([{ channelId: nextChannelId(), fieldMapping: { field2: 'distance_cm' } }]);
      const theirs = await createNode([{ channelId: nextChannelId(), fieldMapping: { field2: 'distance_cm' } }], otherCommunity);
      const critical = await openAlert(mine.id, community, { severity: 'critical', triggeredAt: new Date(Date.now() - 3000) });
      const warning = await openAlert(mine.id, community, { severity: 'warning', triggeredAt: new Date(Date.now() - 2000) });
      const info = await openAlert(mine.id, community, { severity: 'info', triggeredAt: new Date(Date.now() - 1000) });
      const other = await openAlert(theirs.id, otherCommunity, { severity: 'warning' });

      const res = await api.get(`/api/v1/alerts.csv?nodeId=${mine.id}&severity=critical,warning`, customerKey).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="alerts-\d{4}-\d{2}-\d{2}\.csv"$/);
      const records = parseCsv(res.text, { columns: true }) as Array<Record<string, string>>;
      expect(records.map((r) => r.id)).toEqual([warning.id, critical.id]);
      const list = await api.get(`/api/v1/alerts?nodeId=${mine.id}&severity=critical,warning&limit=200`, customerKey).expect(200);
      expect(records.map((r) => r.id)).toEqual(list.body.data.map((a: { id: string }) => a.id));
      expect(records[1]).toMatchObject({ severity: 'critical', status: 'open', node_label: 'Export tank', message: 'level is 5, "very" low\r\nrefill', value: '5', catch_up: 'false' });
      expect(records[1]!.triggered_at).toBe(critical.triggeredAt.toISOString());
      expect(records.map((r) => r.id)).not.toContain(info.id);

      // Scope: the other community's alert is not exported to this customer, even when asked for by node.
      const everything = parseCsv((await api.get('/api/v1/alerts.csv', customerKey).expect(200)).text, { columns: true }) as Array<Record<string, string>>;
      expect(everything.map((r) => r.id)).toEqual(expect.arrayContaining([info.id, warning.id, critical.id]));
      expect(everything.map((r) => r.id)).not.toContain(other.id);
      expect(everything.every((r) => r.community_id === community)).toBe(true);
      const asked = await api.get(`/api/v1/alerts.csv?nodeId=${theirs.id}`, customerKey).expect(200);
      expect(parseCsv(asked.text, { columns: true })).toEqual([]);

      const bad = await api.get('/api/v1/alerts.csv?severity=loud', customerKey).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('streaming from a cursor', () => {
    let bigNode: string;

    beforeAll(async () => {
      const ch = nextChannelId();
      const node = await createNode([{ channelId: ch, fieldMapping: { field1: 'temperature', field2: 'distance_cm' } }]);
      await seedMany(await node.epochOf(ch), BIG_ROWS);
      bigNode = node.id;
    }, 120_000);

    test('when the client disconnects mid-export, then the query stops and the connection goes back to the pool', async () => {
      const download = await openDownload(`/api/v1/nodes/${bigNode}/readings.csv`);
      try {
        expect(download.res.statusCode).toBe(200);
        // The client reads nothing more: backpressure holds the cursor open, its query still running.
        await waitFor(async () => (await runningExportQueries()) === 1, { what: 'the export query to run' });
        expect(poolStats(core.db).inUse).toBeGreaterThanOrEqual(1);
        download.disconnect();
        await waitFor(async () => (await runningExportQueries()) === 0, { what: 'the export query to stop' });
        await waitFor(() => poolStats(core.db).inUse === 0, { what: 'the connection back in the pool' });
        await waitFor(() => core.logs.text().includes('export stopped: the client went away'), { what: 'the stop logged' });
      } finally {
        await download.close();
      }
    });

    test('when EXPORT_MAX_CONCURRENT exports run, then another gets 503 EXPORTS_BUSY with Retry-After, and a slot frees when one ends', async () => {
      const first = await openDownload(`/api/v1/nodes/${bigNode}/readings.csv`);
      try {
        expect(first.res.statusCode).toBe(200);
        const busy = await api.get(`/api/v1/alerts.csv`).expect(503);
        expect(busy.body.code).toBe('EXPORTS_BUSY');
        expect(busy.body.message).toContain('at most 1 at once');
        expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);
        // JSON routes are not capped.
        await api.get(`/api/v1/nodes/${bigNode}/readings?limit=1`).expect(200);
      } finally {
        await first.close();
      }
      await waitFor(async () => (await api.get('/api/v1/alerts.csv')).status === 200, { what: 'a slot to free' });
    });

    test('when a slow client keeps an export open past the pool statement timeout, then it still completes (the export has its own)', async () => {
      const download = await openDownload(`/api/v1/nodes/${bigNode}/readings.csv?channelId=${await channelOf(bigNode)}`);
      try {
        await waitFor(async () => (await runningExportQueries()) === 1, { what: 'the export query to run' });
        // Time itself is what is tested: stay paused past the pool's 1 s statement timeout.
        const pausedUntil = Date.now() + 1_500;
        await waitFor(() => Date.now() >= pausedUntil, { what: 'the pool statement timeout to pass' });
        const { text, complete } = await download.readAll();
        expect(complete).toBe(true);
        const lines = text.split('\r\n');
        expect(lines).toHaveLength(BIG_ROWS + 2);
        expect(lines[BIG_ROWS]).toMatch(new RegExp(`^\\S+,\\d+,0,${BIG_ROWS},`));
        expect(lines[BIG_ROWS + 1]).toBe('');
      } finally {
        await download.close();
      }
    }, 60_000);

    test('when the database connection dies mid-export, then the transfer is cut short and the export ends (slot and pool freed)', async () => {
      const dbUrl = new URL(core.config.db.url);
      const proxy = createTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
      dbUrl.port = String(await proxy.start());
      const proxied = createTestCore({ DATABASE_URL: dbUrl.toString() }, 'api');
      const server = http.createServer(apiClient(proxied).app);
      try {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const { port } = server.address() as AddressInfo;
        const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path: `/api/v1/nodes/${bigNode}/readings.csv`, headers: { authorization: `Bearer ${adminKey}` } }, resolve).on('error', reject);
        });
        res.pause();
        expect(res.statusCode).toBe(200);
        await waitFor(async () => (await runningExportQueries()) === 1, { what: 'the export query to run' });

        await proxy.cut();
        // The client is still paused: the export must end on its own, not when the client reads again.
        await waitFor(() => proxied.logs.text().includes('export failed after the response began: cut short'), { what: 'the cut logged' });
        await waitFor(() => poolStats(proxied.db).inUse === 0, { what: 'the dead connection out of the pool' });
        const complete = await new Promise<boolean>((resolve) => {
          res.on('end', () => resolve(res.complete));
          res.on('aborted', () => resolve(false));
          res.on('error', () => resolve(false));
          res.resume();
        });
        expect(complete).toBe(false);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await proxied.close();
        await proxy.cut();
      }
    }, 60_000);

    async function channelOf(nodeId: string): Promise<number> {
      const row = await core.db('node_channels').where({ node_id: nodeId }).first('channel_id');
      return Number(row.channel_id);
    }
  });

  describe('an export past EXPORT_TIMEOUT_MS', () => {
    test('when the export runs out of time after the first bytes, then the transfer is cut short (no 5xx possible) and logged', async () => {
      const short = createTestCore({ EXPORT_TIMEOUT_MS: '1000' }, 'api');
      const shortApi = apiClient(short, adminKey);
      const server = http.createServer(shortApi.app);
      try {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const { port } = server.address() as AddressInfo;
        const ch = nextChannelId();
        const node = await createNode([{ channelId: ch, fieldMapping: { field2: 'distance_cm' } }]);
        await seedMany(await node.epochOf(ch), BIG_ROWS);
        const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path: `/api/v1/nodes/${node.id}/readings.csv`, headers: { authorization: `Bearer ${adminKey}` } }, resolve).on('error', reject);
        });
        res.pause();
        expect(res.statusCode).toBe(200);
        const pausedUntil = Date.now() + 1_500;
        await waitFor(() => Date.now() >= pausedUntil, { what: 'the export timeout to pass' });
        const outcome = await new Promise<{ lines: number; complete: boolean }>((resolve) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          const done = (complete: boolean) => resolve({ lines: text.split('\r\n').length, complete });
          res.on('end', () => done(res.complete));
          res.on('aborted', () => done(false));
          res.on('error', () => done(false));
          res.resume();
        });
        expect(outcome.complete).toBe(false);
        expect(outcome.lines).toBeLessThan(BIG_ROWS + 2);
        await waitFor(() => short.logs.text().includes('export failed after the response began: cut short'), { what: 'the cut logged' });
        expect(short.logs.text()).toContain('statement timeout');
        await waitFor(() => poolStats(short.db).inUse === 0, { what: 'the connection back in the pool' });
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await short.close();
      }
    }, 60_000);
  });
});

import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readDbStatus } from '../../../src/shared/db/db-status';
import { isDatabaseUnavailable } from '../../../src/shared/db/db-errors';
import { waitForRedis } from '../../../src/shared/redis';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { createNode } from '../../helpers/factories';
import { testDatabaseName } from '../../setup/test-env';

/** A port nothing listens on: connections are refused at once, like a database that is down. */
const DEAD_DB = 'postgres://postgres:deadpass@127.0.0.1:1/evara';
const MIGRATIONS = readdirSync(path.join(__dirname, '../../../src/shared/db/migrations')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));

describe('API /api/v1/debug (superadmin only)', () => {
  let core: TestCore;
  let api: ApiClient;
  let superadmin: string;
  let distributor: string;
  let customer: string;
  const cores: TestCore[] = [];

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    cores.push(core);
    superadmin = await issueKey(core, { role: 'superadmin' });
    api = apiClient(core, superadmin);
    const d = await api.post('/api/v1/distributors', { name: `Debug ${randomUUID().slice(0, 8)}` }).expect(201);
    distributor = await issueKey(core, { role: 'distributor', distributorId: d.body.data.id });
    const c = await api.post('/api/v1/communities', { slug: `dbg-${randomUUID().slice(0, 8)}`, name: 'Debug' }).expect(201);
    customer = await issueKey(core, { role: 'customer', communityId: c.body.data.id });
  });

  afterAll(async () => {
    await Promise.all(cores.map((c) => c.close()));
  });

  test.each(['/api/v1/debug/routes', '/api/v1/debug/db-status'])('given no API key, when %s is asked, then 401 in the error body', async (route) => {
    const res = await api.get(route, '').expect(401);
    expect(res.body).toMatchObject({ status: 'error', code: 'UNAUTHORIZED', requestId: expect.any(String) });
  });

  test.each(['/api/v1/debug/routes', '/api/v1/debug/db-status'])('given a distributor or customer key, when %s is asked, then 403', async (route) => {
    for (const key of [distributor, customer]) {
      const res = await api.get(route, key).expect(403);
      expect(res.body).toMatchObject({ status: 'error', code: 'FORBIDDEN', message: expect.stringContaining('superadmin') });
    }
  });

  test('given a superadmin key, when the routes are asked, then every route of the app is listed with its methods', async () => {
    const res = await api.get('/api/v1/debug/routes').expect(200);
    const routes = res.body.data.routes as Array<{ path: string; methods: string[]; documented: boolean }>;
    const methodsOf = (p: string) => routes.find((r) => r.path === p)?.methods.sort();
    expect(methodsOf('/api/v1/nodes')).toEqual(['GET', 'POST']);
    expect(methodsOf('/api/v1/nodes/:id')).toEqual(['DELETE', 'GET', 'PATCH']);
    expect(methodsOf('/api/v1/alerts/:id/acknowledge')).toEqual(['POST']);
    expect(methodsOf('/api/v1/debug/db-status')).toEqual(['GET']);
    expect(methodsOf('/health')).toEqual(['GET']);
    expect(methodsOf('/openapi.json')).toEqual(['GET']);
    // One entry per path, and every method of the path in it.
    expect(new Set(routes.map((r) => r.path)).size).toBe(routes.length);
    expect(Array.isArray(res.body.data.mounts)).toBe(true);
  });

  test('given a reachable database, when the db-status is asked, then connectivity, latency, migrations, row estimates and pool are plausible', async () => {
    await createNode(core);
    const res = await api.get('/api/v1/debug/db-status').expect(200);
    const status = res.body.data;
    expect(status).toMatchObject({ connected: true, database: testDatabaseName(), serverVersion: expect.stringMatching(/^\d+/) });
    expect(status.latencyMs).toBeGreaterThan(0);
    expect(status.latencyMs).toBeLessThan(5_000);
    expect(status.migrations.applied.sort()).toEqual(MIGRATIONS.sort());
    expect(status.migrations).toMatchObject({ pending: [], upToDate: true });

    const tables = status.tables as Array<{ table: string; estimatedRows: number }>;
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['nodes', 'readings', 'alerts', 'api_keys', 'knex_migrations']));
    for (const t of tables) expect(Number.isInteger(t.estimatedRows) && t.estimatedRows >= 0).toBe(true);
    // readings is one entry, its day partitions summed into it.
    expect(tables.filter((t) => t.table.startsWith('readings'))).toEqual([{ table: 'readings', estimatedRows: expect.any(Number) }]);

    const pool = status.pool;
    for (const field of ['inUse', 'idle', 'waiting', 'creating', 'min', 'max']) expect(Number.isInteger(pool[field]) && pool[field] >= 0).toBe(true);
    expect(pool.max).toBe(core.config.db.poolMax);
    // The queries just ran, so the pool holds at least one connection, idle or still being released.
    expect(pool.inUse + pool.idle).toBeGreaterThanOrEqual(1);
    expect(pool.inUse + pool.idle).toBeLessThanOrEqual(pool.max);
  });

  test('given the row estimates, when rows are added and statistics refreshed, then the estimate follows', async () => {
    await core.db.raw('analyze api_keys');
    const before = ((await api.get('/api/v1/debug/db-status').expect(200)).body.data.tables as Array<{ table: string; estimatedRows: number }>).find((t) => t.table === 'api_keys')!.estimatedRows;
    for (let i = 0; i < 5; i++) await issueKey(core, { role: 'superadmin' }, `estimate ${i}`);
    await core.db.raw('analyze api_keys');
    const exact = Number((await core.db('api_keys').count<Array<{ count: string }>>('* as count'))[0]!.count);
    const after = ((await api.get('/api/v1/debug/db-status').expect(200)).body.data.tables as Array<{ table: string; estimatedRows: number }>).find((t) => t.table === 'api_keys')!.estimatedRows;
    expect(after).toBeGreaterThan(before);
    expect(Math.abs(after - exact)).toBeLessThanOrEqual(exact * 0.5 + 5);
  });

  test('given the database is down, when the db-status is asked, then 503 DATABASE_UNAVAILABLE in the usual body, without the password', async () => {
    const dead = createTestCore({ DATABASE_URL: DEAD_DB }, 'api');
    cores.push(dead);
    await waitForRedis(dead.redis, 5_000);
    const res = await apiClient(dead, superadmin).get('/api/v1/debug/db-status').expect(503);
    expect(res.body).toMatchObject({ status: 'error', code: 'DATABASE_UNAVAILABLE', message: expect.any(String), requestId: expect.any(String) });
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.text).not.toContain('deadpass');
    // The report itself fails as an outage (not a bug) when the key check is not what fails first.
    const err = await readDbStatus(dead.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
});

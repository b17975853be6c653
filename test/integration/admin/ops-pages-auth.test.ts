import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { bootstrapAdminKey } from '../../../src/api/bootstrap-admin-key';
import { createApiKeyCache } from '../../../src/shared/auth/api-key-cache';
import { waitForRedis } from '../../../src/shared/redis';
import { issueKey } from '../../helpers/http';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';
import { openMigratedDatabase } from '../auth/migrated-database';

const METRICS_TOKEN = `metrics-${randomUUID()}-${randomUUID()}`;
const ADMIN_KEY = `admin-${randomBytes(24).toString('base64url')}`;

/**
 * /admin/queues and /metrics check keys as the API does (revocation, the key cache), and while the
 * database is unreachable only ADMIN_API_KEY and METRICS_TOKEN get in. The database is reached
 * through a proxy the test can cut.
 */
describe('/admin/queues and /metrics: revoked keys and a database outage', () => {
  let own: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let proxy: ReturnType<typeof createTcpProxy>;
  let core: TestCore;
  let app: Express;
  let stopBootstrap: () => void;
  let adminKeyId: string;

  beforeAll(async () => {
    // A database of its own: the bootstrap below revokes every other bootstrap key in it.
    own = await openMigratedDatabase('opsauth');
    const db = new URL(own.url);
    proxy = createTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
    const port = await proxy.start();
    const proxied = new URL(db);
    proxied.host = `127.0.0.1:${port}`;
    // A cache far longer than the test: a revoked key can only be refused because revocation reaches the cache.
    core = createTestCore({ DATABASE_URL: proxied.toString(), ADMIN_API_KEY: ADMIN_KEY, METRICS_TOKEN, API_KEY_CACHE_MS: '300000' }, 'api');
    await waitForRedis(core.redis, 5_000);
    const cache = createApiKeyCache(core.repos.apiKeys, core.config.api.keyCacheMs);
    app = createApp(core, { ready: true }, { apiKeyCache: cache });
    const bootstrap = bootstrapAdminKey(core, cache);
    stopBootstrap = bootstrap.stop;
    adminKeyId = (await bootstrap.outcome).keyId;
  });

  afterAll(async () => {
    stopBootstrap();
    await core.close();
    await proxy.cut();
    await own.drop();
  });

  const board = (key: string) => request(app).get('/admin/queues/api/queues').set('Authorization', `Bearer ${key}`);
  const metrics = (key: string) => request(app).get('/metrics').set('Authorization', `Bearer ${key}`);

  test('when a superadmin key that was used there is revoked, then both pages refuse it at once', async () => {
    const admin = await issueKey(core, { role: 'superadmin' }, 'ops revoker');
    const victim = await issueKey(core, { role: 'superadmin' }, 'ops victim');
    const { id } = (await core.repos.apiKeys.findByKey(victim))!;
    await board(victim).expect(200);
    await metrics(victim).expect(200);

    await request(app).delete(`/api/v1/api-keys/${id}`).set('Authorization', `Bearer ${admin}`).expect(204);

    const refused = await board(victim).expect(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Basic realm=/);
    await metrics(victim).expect(401);
    await board(admin).expect(200);
  });

  test('given the database is unreachable, then ADMIN_API_KEY opens both pages and METRICS_TOKEN reads metrics, while other keys get 503 (they cannot be checked)', async () => {
    const other = await issueKey(core, { role: 'superadmin' }, 'ops during outage');
    await proxy.cut();
    try {
      await board(ADMIN_KEY).expect(200);
      await metrics(ADMIN_KEY).expect(200);
      await metrics(METRICS_TOKEN).expect(200);

      expect((await board(other).expect(503)).body.code).toBe('DATABASE_UNAVAILABLE');
      expect((await metrics(other).expect(503)).body.code).toBe('DATABASE_UNAVAILABLE');
      await board(`${ADMIN_KEY}x`).expect(503);
      await metrics(`${ADMIN_KEY}x`).expect(503);
    } finally {
      await proxy.start();
    }
    await waitFor(async () => (await board(other)).status === 200, { what: 'stored keys accepted again once the database is back' });
  });

  test('given ADMIN_API_KEY itself was revoked, when the database is up, then both pages refuse it although it is the configured key', async () => {
    const admin = await issueKey(core, { role: 'superadmin' }, 'ops revoker of the admin key');

    await request(app).delete(`/api/v1/api-keys/${adminKeyId}`).set('Authorization', `Bearer ${admin}`).expect(204);

    await board(ADMIN_KEY).expect(401);
    await metrics(ADMIN_KEY).expect(401);
    await request(app).get('/api/v1/nodes').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(401);
    expect(core.logs.text()).not.toContain(ADMIN_KEY);
  });
});

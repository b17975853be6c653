import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { bootstrapAdminKey } from '../../../src/api/bootstrap-admin-key';
import { createLiveEventsSubscriber } from '../../../src/api/ws/live-events-subscriber';
import { createApiKeyCache } from '../../../src/shared/auth/api-key-cache';
import { hashApiKey } from '../../../src/shared/auth/api-key';
import { waitForRedis } from '../../../src/shared/redis';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';
import { openMigratedDatabase } from './migrated-database';

const METRICS_TOKEN = `metrics-${randomUUID()}-${randomUUID()}`;
const newAdminKey = () => `admin-${randomBytes(24).toString('base64url')}`;

/**
 * ADMIN_API_KEY rotation: each API start makes its ADMIN_API_KEY the one bootstrap key and revokes
 * the others, and never restores a revoked key. On a database of its own, because a bootstrap
 * revokes every other bootstrap key in the database it runs on.
 */
describe('ADMIN_API_KEY bootstrap and rotation', () => {
  let own: Awaited<ReturnType<typeof openMigratedDatabase>>;
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  const cores: TestCore[] = [];
  const stops: Array<() => void | Promise<void>> = [];

  beforeAll(async () => {
    own = await openMigratedDatabase('keyrot');
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    for (const core of cores) await core.close();
    await own.drop();
  });

  /** One API start on the test's database: core, app and key cache wired as main.ts does, then the bootstrap. */
  async function start(adminKey: string, env: Record<string, string> = {}) {
    const core = createTestCore({ DATABASE_URL: own.url, QUEUE_PREFIX: prefix, ADMIN_API_KEY: adminKey, METRICS_TOKEN, ...env }, 'api');
    cores.push(core);
    await waitForRedis(core.redis, 5_000);
    const cache = createApiKeyCache(core.repos.apiKeys, core.config.api.keyCacheMs);
    const app = createApp(core, { ready: true }, { apiKeyCache: cache });
    const bootstrap = bootstrapAdminKey(core, cache);
    stops.push(() => bootstrap.stop());
    return { core, app, cache, outcome: await bootstrap.outcome };
  }

  const statuses = async (app: Express, key: string) => ({
    nodes: (await request(app).get('/api/v1/nodes').set('Authorization', `Bearer ${key}`)).status,
    board: (await request(app).get('/admin/queues/api/queues').set('Authorization', `Bearer ${key}`)).status,
    metrics: (await request(app).get('/metrics').set('Authorization', `Bearer ${key}`)).status,
  });

  test('when the API restarts with a new ADMIN_API_KEY, then the old one gets 401 on /api/v1/nodes, /admin/queues and /metrics, also in a process still running with it', async () => {
    const oldKey = newAdminKey();
    const newKey = newAdminKey();
    const before = await start(oldKey);
    expect(await statuses(before.app, oldKey)).toEqual({ nodes: 200, board: 200, metrics: 200 });
    // The process still running with the old key hears revocations as its live hub would.
    const heard: string[] = [];
    const subscriber = createLiveEventsSubscriber(before.core.config, before.core.log, () => undefined, (keyId) => {
      heard.push(keyId);
      before.cache.invalidate(keyId);
    });
    stops.push(() => subscriber.close());
    await subscriber.subscribed;

    const after = await start(newKey);

    expect(after.outcome.revokedOthers).toEqual([before.outcome.keyId]);
    expect(await statuses(after.app, oldKey)).toEqual({ nodes: 401, board: 401, metrics: 401 });
    expect(await statuses(after.app, newKey)).toEqual({ nodes: 200, board: 200, metrics: 200 });
    await waitFor(() => heard.includes(before.outcome.keyId), { what: 'the revocation of the old key announced over Redis' });
    // Its cache no longer holds the key, and its configured ADMIN_API_KEY is refused like any revoked key while the database is up.
    expect(await statuses(before.app, oldKey)).toEqual({ nodes: 401, board: 401, metrics: 401 });
    expect(after.core.logs.text()).not.toContain(newKey);
    expect(after.core.logs.text()).not.toContain(oldKey);
  });

  test('given the ADMIN_API_KEY was revoked through the API, when the API starts again with it, then it stays revoked and the start says to set a new one', async () => {
    const adminKey = newAdminKey();
    const first = await start(adminKey);
    await request(first.app).delete(`/api/v1/api-keys/${first.outcome.keyId}`).set('Authorization', `Bearer ${adminKey}`).expect(204);

    const again = await start(adminKey);

    expect(again.outcome).toMatchObject({ keyId: first.outcome.keyId, revoked: true });
    expect(await statuses(again.app, adminKey)).toEqual({ nodes: 401, board: 401, metrics: 401 });
    const warning = again.core.logs.records().find((r) => r.level === 'warn' && /ADMIN_API_KEY is revoked/.test(String(r.msg)));
    expect(warning?.msg).toMatch(/Set a new ADMIN_API_KEY/);
    expect(again.core.logs.text()).not.toContain(adminKey);
  });

  test('given a newer ADMIN_API_KEY was started, when a stale deploy starts with the older one, then the older stays revoked and the newer keeps working', async () => {
    const older = newAdminKey();
    const newer = newAdminKey();
    await start(older);
    const current = await start(newer);

    const stale = await start(older);

    expect(stale.outcome).toMatchObject({ revoked: true, revokedOthers: [] });
    expect(await statuses(current.app, newer)).toEqual({ nodes: 200, board: 200, metrics: 200 });
    expect(await statuses(stale.app, older)).toEqual({ nodes: 401, board: 401, metrics: 401 });
  });

  test('when several API processes start at once, with the same key or different ones, then no start fails and exactly one bootstrap key is left active', async () => {
    const keys = [newAdminKey(), newAdminKey()];
    const { core } = await start(newAdminKey());

    const outcomes = await Promise.all([...keys, ...keys, ...keys].map((k) => core.repos.apiKeys.ensureBootstrapAdmin(k)));

    expect(outcomes).toHaveLength(6);
    const active: Array<{ key_hash: string }> = await core.db('api_keys').whereNotNull('bootstrapped_at').whereNull('revoked_at').select('key_hash');
    expect(active).toHaveLength(1);
    expect(keys.map(hashApiKey)).toContain(active[0]!.key_hash);
  });

  test('when a key issued through the API carries the bootstrap label, then a bootstrap leaves it alone', async () => {
    const { core } = await start(newAdminKey());
    const { key, record } = await core.repos.apiKeys.create({ label: 'bootstrap (ADMIN_API_KEY)', role: 'superadmin', distributorId: null, communityId: null });

    await start(newAdminKey());

    expect((await core.repos.apiKeys.findById(record.id))?.revokedAt).toBeNull();
    expect(await core.repos.apiKeys.findByKey(key)).toMatchObject({ id: record.id });
  });
});

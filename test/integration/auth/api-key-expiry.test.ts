import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { createApiKeyCache } from '../../../src/shared/auth/api-key-cache';
import { issueKey } from '../../helpers/http';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';
import { refusedUpgrade, startLiveServer, type LiveServer } from '../ws/live-test-client';

const DAY_MS = 24 * 60 * 60 * 1000;

/** API keys with an expiry (POST /api/v1/api-keys expiresAt) and their last use. */
describe('API key expiry and last use', () => {
  let core: TestCore;
  let app: Express;
  let admin: string;
  // Every last-use write the app's key cache starts, to count them and wait for them.
  const writes: Array<{ keyId: string; done: Promise<boolean> }> = [];

  beforeAll(async () => {
    // A cache far longer than the test: an expiry can only be noticed by the cache itself.
    core = createTestCore({ API_KEY_CACHE_MS: '300000' }, 'api');
    const apiKeys = core.repos.apiKeys;
    const cache = createApiKeyCache(
      {
        findByKey: (key) => apiKeys.findByKey(key),
        touchLastUsed: (keyId) => {
          const done = apiKeys.touchLastUsed(keyId);
          writes.push({ keyId, done });
          return done;
        },
      },
      core.config.api.keyCacheMs,
    );
    app = createApp(core, { ready: true }, { apiKeyCache: cache });
    admin = await issueKey(core, { role: 'superadmin' }, 'expiry admin');
  });

  afterAll(async () => {
    await core.close();
  });

  const as = (key: string) => ({
    get: (path: string) => request(app).get(path).set('Authorization', `Bearer ${key}`),
    post: (path: string, body: object) => request(app).post(path).set('Authorization', `Bearer ${key}`).send(body),
  });
  const createKey = (body: Record<string, unknown>) => as(admin).post('/api/v1/api-keys', { label: 'expiring', role: 'superadmin', ...body });

  describe('creation', () => {
    test.each([
      ['in the past', new Date(Date.now() - 60_000).toISOString(), /expiresAt: must be in the future/],
      ['now', new Date().toISOString(), /expiresAt: must be in the future/],
      ['more than 2 years ahead', new Date(Date.now() + 2 * 366 * DAY_MS).toISOString(), /expiresAt: must be at most 2 years ahead/],
      ['not a date-time', 'next tuesday', /expiresAt: must be an ISO 8601 date-time/],
      ['a date without a time', '2030-01-01', /expiresAt: must be an ISO 8601 date-time/],
    ])('when expiresAt is %s, then 400 and no key is issued', async (_what, expiresAt, message) => {
      const res = await createKey({ expiresAt }).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) });
      expect(res.body.data).toBeUndefined();
    });

    test('when expiresAt is in a month, then the key is issued with it, and listings show it with lastUsedAt', async () => {
      const expiresAt = new Date(Date.now() + 30 * DAY_MS);
      const res = await createKey({ expiresAt: expiresAt.toISOString() }).expect(201);
      expect(res.body.data).toMatchObject({ expiresAt: expiresAt.toISOString(), lastUsedAt: null, revokedAt: null });

      const listed = (await as(admin).get('/api/v1/api-keys').expect(200)).body.data as Array<Record<string, unknown>>;

      expect(listed.find((k) => k.id === res.body.data.id)).toMatchObject({ expiresAt: expiresAt.toISOString(), lastUsedAt: null });
      expect(listed.every((k) => 'expiresAt' in k && 'lastUsedAt' in k)).toBe(true);
      expect(JSON.stringify(listed)).not.toContain(res.body.data.key);
    });

    test('when expiresAt is left out, then the key never expires', async () => {
      const res = await createKey({}).expect(201);
      expect(res.body.data.expiresAt).toBeNull();
    });
  });

  describe('an expired key', () => {
    test('given a key that expired before it was ever used, when it is used, then 401 API_KEY_EXPIRED on the API, /admin/queues and /metrics', async () => {
      const { key, record } = await core.repos.apiKeys.create({ label: 'expired', role: 'superadmin', distributorId: null, communityId: null, expiresAt: new Date(Date.now() + DAY_MS) });
      await core.db('api_keys').where({ id: record.id }).update({ expires_at: core.db.raw(`now() - interval '1 second'`) });

      const api = await as(key).get('/api/v1/nodes').expect(401);
      const board = await as(key).get('/admin/queues/api/queues').expect(401);
      const metrics = await as(key).get('/metrics').expect(401);

      for (const res of [api, board, metrics]) expect(res.body).toMatchObject({ status: 'error', code: 'API_KEY_EXPIRED', message: expect.stringMatching(/expired/) });
      expect(board.headers['www-authenticate']).toMatch(/^Basic realm=/);
      expect(writes.filter((w) => w.keyId === record.id)).toEqual([]);
    });

    test('given a key the cache holds, when its expiry passes, then it is refused with API_KEY_EXPIRED although the cache entry is still fresh', async () => {
      const { key } = await core.repos.apiKeys.create({ label: 'short-lived', role: 'superadmin', distributorId: null, communityId: null, expiresAt: new Date(Date.now() + 1_500) });
      await as(key).get('/api/v1/nodes').expect(200);

      const res = await waitFor(
        async () => {
          const r = await as(key).get('/api/v1/nodes');
          return r.status === 401 ? r : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 100, what: 'the cached key refused once expired' },
      );

      expect(res!.body.code).toBe('API_KEY_EXPIRED');
    });

    test('given an expired key, when it opens a live socket (Bearer, or a ticket issued before it expired), then the upgrade is refused with 401 API_KEY_EXPIRED', async () => {
      let live: LiveServer | undefined;
      try {
        live = await startLiveServer(core);
        const { key, record } = await core.repos.apiKeys.create({ label: 'expired live', role: 'superadmin', distributorId: null, communityId: null, expiresAt: new Date(Date.now() + DAY_MS) });
        const ticket = ((await as(key).post('/api/v1/ws/tickets', {}).expect(201)).body.data as { ticket: string }).ticket;
        await core.db('api_keys').where({ id: record.id }).update({ expires_at: core.db.raw(`now() - interval '1 second'`) });

        const bearer = await refusedUpgrade(live.url, { Authorization: `Bearer ${key}` });
        const byTicket = await refusedUpgrade(`${live.url}?ticket=${ticket}`);

        for (const res of [bearer, byTicket]) expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'API_KEY_EXPIRED' });
      } finally {
        await live?.close();
      }
    });
  });

  describe('last use', () => {
    test('when a key is used twice within a minute, then its last use is written once', async () => {
      const { key, record } = await core.repos.apiKeys.create({ label: 'used twice', role: 'superadmin', distributorId: null, communityId: null });

      await as(key).get('/api/v1/nodes').expect(200);
      await as(key).get('/api/v1/communities').expect(200);

      const mine = writes.filter((w) => w.keyId === record.id);
      expect(mine).toHaveLength(1);
      expect(await mine[0]!.done).toBe(true);
      const stored = await core.repos.apiKeys.findById(record.id);
      expect(Date.now() - Date.parse(stored!.lastUsedAt!)).toBeLessThan(60_000);
      const listed = (await as(admin).get('/api/v1/api-keys').expect(200)).body.data as Array<{ id: string; lastUsedAt: string | null }>;
      expect(listed.find((k) => k.id === record.id)?.lastUsedAt).toBe(stored!.lastUsedAt);
    });

    test('when another process writes the same key\'s last use within the minute, then the database leaves the row alone; after the minute it writes', async () => {
      const { record } = await core.repos.apiKeys.create({ label: 'used by two processes', role: 'superadmin', distributorId: null, communityId: null });

      expect(await core.repos.apiKeys.touchLastUsed(record.id)).toBe(true);
      const first = (await core.repos.apiKeys.findById(record.id))!.lastUsedAt;
      expect(await core.repos.apiKeys.touchLastUsed(record.id)).toBe(false);
      expect((await core.repos.apiKeys.findById(record.id))!.lastUsedAt).toBe(first);

      await core.db('api_keys').where({ id: record.id }).update({ last_used_at: core.db.raw(`now() - interval '61 seconds'`) });
      expect(await core.repos.apiKeys.touchLastUsed(record.id)).toBe(true);
    });
  });
});

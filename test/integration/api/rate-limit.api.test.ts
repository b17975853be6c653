import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { generateApiKey } from '../../../src/shared/auth/api-key';
import { waitForRedis } from '../../../src/shared/redis';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';

/**
 * Rate limits through the real app, Redis and Postgres. Each test has its own core (and so its own
 * Redis key prefix), and names its client by X-Forwarded-For: with TRUST_PROXY=1 (the default, as
 * on Render) req.ip is the address the one trusted proxy saw, so tests never share a bucket.
 */
describe('API rate limits', () => {
  const cores: TestCore[] = [];
  // Until its Redis connection is ready a core counts in memory (the outage fallback): wait for it.
  const coreWith = async (env: Record<string, string>) => {
    const core = createTestCore(env, 'api');
    cores.push(core);
    await waitForRedis(core.redis, 5_000);
    return core;
  };
  afterAll(async () => {
    await Promise.all(cores.map((c) => c.close()));
  });

  const get = (app: Express, path: string, { ip, key }: { ip?: string; key?: string } = {}) => {
    const t = request(app).get(path);
    if (ip) t.set('X-Forwarded-For', ip);
    if (key) t.set('Authorization', `Bearer ${key}`);
    return t;
  };
  const post = (app: Express, path: string, key: string, body: object = {}) => request(app).post(path).set('Authorization', `Bearer ${key}`).send(body);
  const unknownKey = () => generateApiKey().key;

  test('when one address sends 30 unknown keys, then the 31st gets 429 with Retry-After and RateLimit fields, and no more key lookups happen', async () => {
    const core = await coreWith({ RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '30' });
    const app = createApp(core);
    let keyLookups = 0;
    core.db.on('query', (q: { sql: string }) => {
      if (/from "api_keys"/i.test(q.sql)) keyLookups += 1;
    });
    const ip = '203.0.113.10';

    let last: request.Response | undefined;
    for (let i = 0; i < 30; i += 1) {
      last = await get(app, '/api/v1/nodes', { ip, key: unknownKey() });
      expect(last.status).toBe(401);
    }
    expect(last?.headers['ratelimit']).toMatch(/"failed-auth";r=0;t=\d+/);
    const lookupsBefore = keyLookups;
    expect(lookupsBefore).toBeGreaterThanOrEqual(30);

    const refused = await get(app, '/api/v1/nodes', { ip, key: unknownKey() });

    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      status: 'error',
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too many requests: more than 30 failed authentications a minute from this address; retry in \d+ s$/),
      requestId: expect.any(String),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-policy']).toContain('"failed-auth";q=30;w=60');
    expect(refused.headers['ratelimit']).toContain(`"failed-auth";r=0;t=${retryAfter}`);
    for (let i = 0; i < 10; i += 1) await get(app, '/api/v1/nodes', { ip, key: unknownKey() }).expect(429);
    // A forged left-most X-Forwarded-For changes nothing: only the hop Render's proxy adds is believed.
    await get(app, '/api/v1/nodes', { ip: `198.51.100.99, ${ip}`, key: unknownKey() }).expect(429);
    expect(keyLookups).toBe(lookupsBefore);
    // Another address is not affected.
    await get(app, '/api/v1/nodes', { ip: '203.0.113.11', key: unknownKey() }).expect(401);
  });

  test('when an address is blocked for failed authentications, then a key this process already authenticated still works from it, and every other key is refused before lookup', async () => {
    const core = await coreWith({ RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '5' });
    const app = createApp(core);
    const [known, neverUsed] = await Promise.all([issueKey(core, { role: 'superadmin' }), issueKey(core, { role: 'superadmin' })]);
    const ip = '203.0.113.40';
    // Authenticated once (from anywhere): the process's key cache holds it now.
    await get(app, '/api/v1/nodes?limit=1', { ip: '203.0.113.41', key: known }).expect(200);
    for (let i = 0; i < 5; i += 1) await get(app, '/api/v1/nodes', { ip, key: unknownKey() }).expect(401);
    let keyLookups = 0;
    core.db.on('query', (q: { sql: string }) => {
      if (/from "api_keys"/i.test(q.sql)) keyLookups += 1;
    });

    await get(app, '/api/v1/nodes', { ip, key: unknownKey() }).expect(429);
    // A valid key never seen by this process is no different from a guess until it authenticates.
    await get(app, '/api/v1/nodes', { ip, key: neverUsed }).expect(429);
    const served = await get(app, '/api/v1/nodes?limit=1', { ip, key: known });

    expect(served.status).toBe(200);
    expect(keyLookups).toBe(0);
  });

  test('when a key goes past its per-key quota, then it gets 429 while another key from the same address still passes', async () => {
    const core = await coreWith({ RATE_LIMIT_PER_KEY_PER_MINUTE: '5' });
    const app = createApp(core);
    const [keyA, keyB] = await Promise.all([issueKey(core, { role: 'superadmin' }), issueKey(core, { role: 'superadmin' })]);

    for (let i = 1; i <= 5; i += 1) {
      const res = await get(app, '/api/v1/api-keys', { key: keyA }).expect(200);
      expect(res.headers['ratelimit']).toMatch(new RegExp(`"per-key";r=${5 - i};t=\\d+`));
      expect(res.headers['ratelimit-policy']).toMatch(/"per-ip";q=\d+;w=60, "per-key";q=5;w=60/);
    }
    const refused = await get(app, '/api/v1/api-keys', { key: keyA });

    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/more than 5 a minute with this API key; retry in \d+ s$/) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit']).toMatch(/"per-key";r=0;t=\d+/);
    expect(refused.text).not.toContain(keyA);
    const other = await get(app, '/api/v1/api-keys', { key: keyB }).expect(200);
    expect(other.headers['ratelimit']).toMatch(/"per-key";r=4;/);
  });

  test.each([
    { route: 'POST /api/v1/ws/tickets', setting: 'RATE_LIMIT_WS_TICKETS_PER_MINUTE', policy: 'ws-tickets', path: () => '/api/v1/ws/tickets', passes: 201 },
    { route: 'POST /api/v1/webhooks/:id/test', setting: 'RATE_LIMIT_WEBHOOK_TESTS_PER_MINUTE', policy: 'webhook-tests', path: () => `/api/v1/webhooks/${randomUUID()}/test`, passes: 404 },
    { route: 'POST /api/v1/api-keys', setting: 'RATE_LIMIT_KEY_CREATION_PER_MINUTE', policy: 'key-creation', path: () => '/api/v1/api-keys', passes: 400 },
  ])('when a key calls $route more than its strict quota, then that route gets 429 while the key\'s other requests and other keys pass', async ({ setting, policy, path, passes }) => {
    const core = await coreWith({ [setting]: '3' });
    const app = createApp(core);
    const [key, otherKey] = await Promise.all([issueKey(core, { role: 'superadmin' }), issueKey(core, { role: 'superadmin' })]);

    // Counted before the route runs, so a 404 or 400 (an unknown webhook, an empty body) counts too.
    for (let i = 0; i < 3; i += 1) await post(app, path(), key).expect(passes);
    const refused = await post(app, path(), key);

    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/more than 3 .+ a minute with this API key; retry in \d+ s$/) });
    expect(refused.headers['ratelimit-policy']).toContain(`"${policy}";q=3;w=60`);
    expect(refused.headers['ratelimit']).toMatch(new RegExp(`"${policy}";r=0;t=\\d+`));
    await get(app, '/api/v1/api-keys', { key }).expect(200);
    await post(app, path(), otherKey).expect(passes);
  });

  test('when an address is past its quota, then /api/v1, /metrics and /admin/queues refuse it but health, docs and the status page still answer', async () => {
    const core = await coreWith({ RATE_LIMIT_PER_IP_PER_MINUTE: '3' });
    const app = createApp(core);
    const ip = '203.0.113.30';
    for (let i = 0; i < 3; i += 1) await get(app, '/api/v1/nodes', { ip }).expect(401);

    const refused = await get(app, '/api/v1/nodes', { ip }).expect(429);
    expect(refused.body.message).toMatch(/more than 3 a minute from this address/);
    expect(refused.headers['ratelimit']).toMatch(/"per-ip";r=0;t=\d+/);
    await get(app, '/metrics', { ip }).expect(429);
    await get(app, '/admin/queues', { ip }).expect(429);
    await get(app, '/API/V1/nodes/', { ip }).expect(429); // Express matches mounts in any case

    for (const path of ['/health', '/livez', '/readyz', '/docs', '/docs/swagger-ui.css', '/openapi.json', '/', '/status', '/status/assets/status.js']) {
      for (let i = 0; i < 5; i += 1) {
        const res = await get(app, path, { ip });
        expect({ path, status: res.status }).not.toEqual({ path, status: 429 });
        expect(res.headers['ratelimit']).toBeUndefined();
      }
    }
  });

  test('when two API instances share Redis, then a key and an address are counted across both', async () => {
    const shared = { QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`, RATE_LIMIT_PER_KEY_PER_MINUTE: '4', RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '4' };
    const one = await coreWith(shared);
    const two = await coreWith(shared);
    const [appOne, appTwo] = [createApp(one), createApp(two)];
    const key = await issueKey(one, { role: 'superadmin' });

    for (const app of [appOne, appTwo, appOne, appTwo]) await get(app, '/api/v1/api-keys', { key }).expect(200);
    await get(appOne, '/api/v1/api-keys', { key }).expect(429);
    await get(appTwo, '/api/v1/api-keys', { key }).expect(429);

    const ip = '203.0.113.40';
    for (const app of [appOne, appTwo, appOne, appTwo]) await get(app, '/api/v1/nodes', { ip, key: unknownKey() }).expect(401);
    await get(appTwo, '/api/v1/nodes', { ip, key: unknownKey() }).expect(429);
    await get(appOne, '/api/v1/nodes', { ip, key: unknownKey() }).expect(429);
  });

  test('when a quota is large, then two instances count ahead locally, every count reaches Redis, and the refusals start exactly at the quota', async () => {
    const prefix = `test-${randomUUID().slice(0, 8)}`;
    const shared = { QUEUE_PREFIX: prefix, RATE_LIMIT_PER_KEY_PER_MINUTE: '100', RATE_LIMIT_SYNC_MS: '50' };
    const one = await coreWith(shared);
    const two = await coreWith(shared);
    const [appOne, appTwo] = [createApp(one), createApp(two)];
    const key = await issueKey(one, { role: 'superadmin' });

    for (let i = 0; i < 60; i += 1) await get(i % 2 === 0 ? appOne : appTwo, '/api/v1/api-keys', { key }).expect(200);
    const storedCount = async () => {
      const [redisKey] = await one.redis.keys(`${prefix}:rate-limit:per-key:*`);
      return redisKey ? Number(await one.redis.get(redisKey)) : 0;
    };
    // Most of the 60 were answered without Redis; within a sync interval all of them are in it.
    await waitFor(async () => (await storedCount()) === 60, { timeoutMs: 5_000, what: 'the 60 requests counted in Redis' });

    let passed = 60;
    for (let i = 0; i < 60; i += 1) if ((await get(appOne, '/api/v1/api-keys', { key })).status === 200) passed += 1;
    expect(passed).toBe(100);
    expect(await storedCount()).toBe(120);
  });
});

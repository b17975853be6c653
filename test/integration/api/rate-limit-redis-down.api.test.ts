import net from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { STORE_TIMEOUT_MS } from '../../../src/api/rate-limit/limiter';
import { generateApiKey } from '../../../src/shared/auth/api-key';
import { waitForRedis } from '../../../src/shared/redis';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { itRedisUrl } from '../../setup/test-env';

/** A port nothing listens on: Redis connections are refused at once. */
const DEAD_REDIS = 'redis://127.0.0.1:1';
const STORE_DOWN_LOG = 'rate limit store unavailable: per-address limits count in this process only, per-key limits are skipped';

/**
 * A TCP proxy to the shared Redis that can stop passing bytes while keeping its connections open:
 * a Redis that is "connected" and never answers, the case a readiness check cannot see.
 */
function stallingProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let stalled = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('data', (chunk) => stalled || upstream.write(chunk));
    upstream.on('data', (chunk) => stalled || client.write(chunk));
  });
  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))),
    stall: () => {
      stalled = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('API rate limits when Redis cannot count', () => {
  const cores: TestCore[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    // Proxies first: a core's close talks to Redis, and a stalled connection would never answer it.
    for (const close of closers) await close();
    await Promise.all(cores.map((c) => c.close()));
  });

  const get = (app: Express, path: string, ip: string, key: string) => request(app).get(path).set('X-Forwarded-For', ip).set('Authorization', `Bearer ${key}`);
  const limits = { RATE_LIMIT_PER_KEY_PER_MINUTE: '2', RATE_LIMIT_PER_IP_PER_MINUTE: '20', RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '3' };

  test('when Redis is unreachable, then keyed requests pass (per-key limits skipped) and an unauthenticated flood is still refused from memory', async () => {
    const core = createTestCore({ ...limits, REDIS_URL: DEAD_REDIS }, 'api');
    cores.push(core);
    const app = createApp(core);
    const key = await issueKey(core, { role: 'superadmin' });

    const started = Date.now();
    for (let i = 0; i < 6; i += 1) {
      const res = await get(app, '/api/v1/api-keys', '203.0.113.50', key).expect(200);
      expect(res.headers['ratelimit']).not.toContain('per-key');
      expect(res.headers['ratelimit']).toMatch(new RegExp(`"per-ip";r=${20 - i - 1};`)); // counted in this process
    }
    expect(Date.now() - started).toBeLessThan(5_000); // no request waited on Redis

    const flooder = '203.0.113.51';
    for (let i = 0; i < 3; i += 1) await get(app, '/api/v1/nodes', flooder, generateApiKey().key).expect(401);
    const refused = await get(app, '/api/v1/nodes', flooder, generateApiKey().key).expect(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/failed authentications a minute from this address/) });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    // Said once, not once per request.
    expect(core.logs.records().filter((r) => r.msg === STORE_DOWN_LOG)).toHaveLength(1);
  });

  test('when Redis stops answering on an open connection, then requests wait at most the store timeout and the same fallbacks apply', async () => {
    const proxy = stallingProxy(new URL(itRedisUrl()));
    const port = await proxy.listen();
    closers.push(proxy.close);
    const core = createTestCore({ ...limits, REDIS_URL: `redis://127.0.0.1:${port}` }, 'api');
    cores.push(core);
    await waitForRedis(core.redis, 5_000);
    const app = createApp(core);
    const key = await issueKey(core, { role: 'superadmin' });
    const counted = await get(app, '/api/v1/api-keys', '203.0.113.60', key).expect(200);
    expect(counted.headers['ratelimit']).toMatch(/"per-key";r=1;/);

    proxy.stall();

    for (let i = 0; i < 3; i += 1) {
      const started = Date.now();
      const res = await get(app, '/api/v1/api-keys', '203.0.113.60', key).expect(200);
      expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT_MS + 1_000);
      expect(res.headers['ratelimit']).not.toContain('per-key');
    }
    const flooder = '203.0.113.61';
    for (let i = 0; i < 3; i += 1) await get(app, '/api/v1/nodes', flooder, generateApiKey().key).expect(401);
    await get(app, '/api/v1/nodes', flooder, generateApiKey().key).expect(429);
    expect(core.logs.records().filter((r) => r.msg === STORE_DOWN_LOG).length).toBeGreaterThanOrEqual(1);
  });
});

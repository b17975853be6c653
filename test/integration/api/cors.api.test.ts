import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { issueKey } from '../../helpers/http';
import { createTestCore, type TestCore } from '../../helpers/test-core';

const ALLOWED = 'https://dashboard.example.test';
const OTHER = 'https://evil.example.test';

const corsHeaders = (headers: Record<string, string>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

/** CORS on the real app: preflights answered before the rate limits and authentication, allowed origins only. */
describe('CORS', () => {
  let core: TestCore;
  let app: Express;
  let key: string;

  beforeAll(async () => {
    core = createTestCore({ CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` }, 'api');
    app = createApp(core);
    key = await issueKey(core, { role: 'superadmin' });
  });

  afterAll(async () => {
    await core.close();
  });

  const preflight = (path: string, origin: string) =>
    request(app).options(path).set('Origin', origin).set('Access-Control-Request-Method', 'PATCH').set('Access-Control-Request-Headers', 'authorization,content-type,x-request-id');

  test('the preflight of an allowed origin is a 204 before authentication, with every field a browser needs and no credentials', async () => {
    const res = await preflight('/api/v1/nodes', ALLOWED).expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['access-control-allow-methods']!.split(',')).toEqual(expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE']));
    expect(res.headers['access-control-allow-headers']).toBe('Authorization,Content-Type,X-Request-Id');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  test('a preflight to an unknown route or a route that needs a key is still a 204: the 404 and 401 come with the real request', async () => {
    await preflight('/api/v1/no-such-thing', ALLOWED).expect(204);
    await preflight('/metrics', ALLOWED).expect(204);
    const notFound = await request(app).get('/api/v1/no-such-thing').set('Origin', ALLOWED).set('Authorization', `Bearer ${key}`).expect(404);
    expect(notFound.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  test('a disallowed origin gets no CORS header at all, on the preflight or the request', async () => {
    const pre = await preflight('/api/v1/nodes', OTHER).expect(204);
    expect(corsHeaders(pre.headers)).toEqual([]);
    const res = await request(app).get('/api/v1/nodes').set('Origin', OTHER).set('Authorization', `Bearer ${key}`);
    expect(corsHeaders(res.headers)).toEqual([]);
    expect(res.headers.vary).toMatch(/Origin/);
    // Exact origins only: a suffix or another scheme is another origin.
    expect(corsHeaders((await preflight('/api/v1/nodes', `${ALLOWED}.evil.test`)).headers)).toEqual([]);
    expect(corsHeaders((await preflight('/api/v1/nodes', ALLOWED.replace('https', 'http'))).headers)).toEqual([]);
  });

  test('answers to an allowed origin expose X-Request-Id and Retry-After, and a 429 is readable (preflights use no quota)', async () => {
    // Three requests a minute per address (its own Redis prefix): preflights must not use them up, and the 429 must be readable.
    const limited = createTestCore({ CORS_ORIGINS: ALLOWED, RATE_LIMIT_PER_IP_PER_MINUTE: '3' }, 'api');
    const limitedApp = createApp(limited);
    const limitedKey = await issueKey(limited, { role: 'superadmin' });
    const statuses: number[] = [];
    let last: request.Response | undefined;
    try {
      for (let i = 0; i < 10; i += 1) {
        await request(limitedApp).options('/api/v1/nodes').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'GET').expect(204);
      }
      for (let i = 0; i < 4; i += 1) {
        last = await request(limitedApp).get('/api/v1/nodes').set('Origin', ALLOWED).set('Authorization', `Bearer ${limitedKey}`).set('X-Request-Id', `cors-${i}`);
        statuses.push(last.status);
        expect(last.headers['access-control-allow-origin']).toBe(ALLOWED);
        expect(last.headers['access-control-expose-headers']).toBe('X-Request-Id,Retry-After');
        expect(last.headers['x-request-id']).toBe(`cors-${i}`);
      }
    } finally {
      await limited.close();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.headers['retry-after']).toMatch(/^\d+$/);
  });

  test('without CORS_ORIGINS nothing changes: no CORS headers, a preflight is an unauthenticated request', async () => {
    const plain = createTestCore({}, 'api');
    try {
      const res = await request(createApp(plain)).options('/api/v1/nodes').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'GET');
      expect(res.status).toBe(401);
      expect(corsHeaders(res.headers)).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});

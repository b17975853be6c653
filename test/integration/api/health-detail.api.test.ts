import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { issueKey } from '../../helpers/http';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';
import { itDatabaseUrl } from '../../setup/test-env';

/**
 * /health answers anyone with states only; the driver's error texts and latencies go to superadmin
 * callers. The database is reached through a TCP proxy the test cuts, so the shared server stays up.
 */
describe('GET /health detail', () => {
  const upstream = new URL(itDatabaseUrl());
  const proxy = createTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
  const adminKey = `admin-${randomBytes(24).toString('hex')}`;
  let core: TestCore;
  let app: Express;
  let superKey: string;
  let customerKey: string;
  let proxiedUrl: URL;

  const health = (authorization?: string) => {
    const req = request(app).get('/health');
    return authorization ? req.set('Authorization', authorization) : req;
  };

  beforeAll(async () => {
    const port = await proxy.start();
    proxiedUrl = new URL(itDatabaseUrl());
    proxiedUrl.hostname = '127.0.0.1';
    proxiedUrl.port = String(port);
    core = createTestCore({ DATABASE_URL: proxiedUrl.toString(), ADMIN_API_KEY: adminKey }, 'api');
    app = createApp(core);
    superKey = await issueKey(core, { role: 'superadmin' }, 'health superadmin');
    const community = await core.repos.communities.findBySlug('default');
    customerKey = await issueKey(core, { role: 'customer', communityId: community!.id }, 'health customer');
  });

  afterAll(async () => {
    await core.close();
    await proxy.cut();
  });

  test('when everything answers, then anonymous and non-superadmin callers get states only and a superadmin gets latencies', async () => {
    const anonymous = await health().expect(200);
    expect(anonymous.body.services.database).toEqual({ status: 'up' });
    expect(anonymous.body.services.redis).toEqual({ status: 'up' });
    expect(anonymous.body.services.circuit).toMatchObject({ state: 'closed' });
    expect(anonymous.body.services.queues.poll).toMatchObject({ paused: false, waiting: expect.any(Number) });
    expect(anonymous.headers.vary).toMatch(/Authorization/);

    for (const authorization of [`Bearer ${customerKey}`, 'Bearer evk_not_a_real_key_0123456789abcdef', `Basic ${Buffer.from(`x:${superKey}`).toString('base64')}`]) {
      expect((await health(authorization).expect(200)).body.services.database).toEqual({ status: 'up' });
    }

    const detailed = await health(`Bearer ${superKey}`).expect(200);
    expect(detailed.body.services.database).toEqual({ status: 'up', latencyMs: expect.any(Number) });
    expect(detailed.body.services.redis).toEqual({ status: 'up', latencyMs: expect.any(Number) });
    expect(detailed.headers['cache-control']).toBe('private, no-store');
  });

  test('when the database is cut, then the anonymous report says down with no host, port, user, database or driver text; ADMIN_API_KEY gets the error', async () => {
    await proxy.cut();
    const anonymous = (await waitFor(async () => {
      const res = await health();
      return res.body.services?.database?.status === 'down' ? res : undefined;
    }, { what: '/health reporting the database down', timeoutMs: 10_000 }))!;

    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toMatchObject({ status: 'degraded', services: { database: { status: 'down' }, redis: { status: 'up' } } });
    expect(anonymous.body.services.database).toEqual({ status: 'down' });
    for (const leak of [proxiedUrl.hostname, proxiedUrl.port, decodeURIComponent(proxiedUrl.username), proxiedUrl.pathname.slice(1), 'ECONNREFUSED', 'connect', 'Connection']) {
      expect({ leak, found: anonymous.text.includes(leak) }).toEqual({ leak, found: false });
    }

    // Stored keys cannot be checked now: a superadmin's own key gets the public view, ADMIN_API_KEY the detail.
    expect((await health(`Bearer ${superKey}`).expect(200)).body.services.database).toEqual({ status: 'down' });
    const detailed = await health(`Bearer ${adminKey}`).expect(200);
    expect(detailed.body.services.database).toEqual({ status: 'down', latencyMs: expect.any(Number), error: expect.stringMatching(/ECONNREFUSED/) });
    expect(detailed.text).not.toContain(adminKey);
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { issueKey } from '../../helpers/http';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';
import { b64json, FakeSupabase, type FakeSigningKey } from '../../helpers/fake-supabase';
import { distributorCommunity } from '../api/tenant-fixtures';

const JWT_SECRET = 'legacy-supabase-jwt-secret-for-tests-0123456789';
const PORT = 47401;

/**
 * Supabase access tokens against the real app: minted with jose, verified through a local JWKS
 * server acting as SUPABASE_URL (no internet). Every refusal has its own 401 code; tokens never
 * reach the logs.
 */
describe('Supabase access tokens', () => {
  let supabase: FakeSupabase;
  let core: TestCore;
  let app: Express;
  let admin: string;
  let signingKey: FakeSigningKey;
  const minted: string[] = [];
  let tenant: { distributorId: string; communityId: string; nodeId: string };
  let otherTenant: { distributorId: string; communityId: string; nodeId: string };
  let customerId: string;

  const mint = async (...args: Parameters<FakeSupabase['mint']>) => {
    const token = await supabase.mint(...args);
    minted.push(token);
    return token;
  };
  const get = (path: string, token: string) => request(app).get(path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    supabase = await FakeSupabase.start(PORT);
    signingKey = await supabase.addKey('ES256');
    core = createTestCore({ SUPABASE_URL: supabase.url, SUPABASE_JWT_SECRET: JWT_SECRET, SUPABASE_JWKS_COOLDOWN_MS: '300', LOG_LEVEL: 'debug' }, 'api');
    app = createApp(core);
    admin = await issueKey(core, { role: 'superadmin' }, 'tokens admin');
    tenant = await distributorCommunity(core);
    otherTenant = await distributorCommunity(core);
    customerId = randomUUID();
    await request(app)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ id: customerId, email: 'customer@example.test', role: 'customer', communityId: tenant.communityId })
      .expect(201);
  });

  afterAll(async () => {
    await supabase.stop();
    await core.close();
  });

  test('a token minted for a provisioned customer lists exactly its community\'s nodes', async () => {
    const token = await mint(customerId, signingKey);
    const res = await get('/api/v1/nodes', token).expect(200);
    const ids = (res.body.data as Array<{ id: string; communityId: string }>).map((n) => n.id);
    expect(ids).toEqual([tenant.nodeId]);
    expect(ids).not.toContain(otherTenant.nodeId);
    // Out of scope is 404, as for a customer key.
    await get(`/api/v1/nodes/${otherTenant.nodeId}`, token).expect(404);
  });

  test('GET /me tells the user who it is', async () => {
    const token = await mint(customerId, signingKey);
    const res = await get('/api/v1/me', token).expect(200);
    expect(res.body.data).toEqual({ kind: 'user', id: customerId, role: 'customer', scope: { communityId: tenant.communityId }, label: null, email: `${customerId.slice(0, 8)}@example.test` });
    const asKey = await get('/api/v1/me', admin).expect(200);
    expect(asKey.body.data).toMatchObject({ kind: 'api_key', role: 'superadmin', scope: {} });
  });

  test('a legacy HS256 token signed with SUPABASE_JWT_SECRET is accepted', async () => {
    const token = await mint(customerId, { secret: JWT_SECRET });
    await get('/api/v1/me', token).expect(200);
  });

  test('exp and nbf get 30 s of leeway, no more', async () => {
    const now = Math.floor(Date.now() / 1000);
    await get('/api/v1/me', await mint(customerId, signingKey, { claims: { exp: now - 10 } })).expect(200);
    const expired = await get('/api/v1/me', await mint(customerId, signingKey, { claims: { exp: now - 120 } })).expect(401);
    expect(expired.body.code).toBe('TOKEN_EXPIRED');
    await get('/api/v1/me', await mint(customerId, signingKey, { claims: { nbf: now + 10 } })).expect(200);
    const early = await get('/api/v1/me', await mint(customerId, signingKey, { claims: { nbf: now + 120 } })).expect(401);
    expect(early.body.code).toBe('TOKEN_NOT_YET_VALID');
  });

  describe('every forged or misdirected token is a 401 with its code', () => {
    test.each<[string, () => Promise<string>, string]>([
      [
        'alg "none"',
        async () => `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(supabase.claimsFor(customerId))}.`,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
      ],
      ['HS256 signed with the public key as the secret', async () => mint(customerId, { secret: JSON.stringify(signingKey.publicJwk) }), 'TOKEN_SIGNATURE_INVALID'],
      ['HS384 (not on the allow-list)', async () => mint(customerId, { secret: JWT_SECRET }, { header: { alg: 'HS384' } }), 'TOKEN_ALGORITHM_NOT_ALLOWED'],
      ['another project\'s issuer', async () => mint(customerId, signingKey, { claims: { iss: 'https://other-project.supabase.co/auth/v1' } }), 'TOKEN_WRONG_ISSUER'],
      ['another audience', async () => mint(customerId, signingKey, { claims: { aud: 'anon' } }), 'TOKEN_WRONG_AUDIENCE'],
      ['expired an hour ago', async () => mint(customerId, signingKey, { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }), 'TOKEN_EXPIRED'],
      [
        'a tampered payload (bad signature)',
        async () => {
          const [h, , s] = (await mint(randomUUID(), signingKey)).split('.');
          return `${h}.${b64json(supabase.claimsFor(customerId))}.${s}`;
        },
        'TOKEN_SIGNATURE_INVALID',
      ],
      ['signed by a key the JWKS does not have', async () => mint(customerId, await supabase.addKey('ES256', false)), 'TOKEN_KEY_UNKNOWN'],
      ['a legacy token signed with another secret', async () => mint(customerId, { secret: 'not-the-project-secret-0123456789abcdef' }), 'TOKEN_SIGNATURE_INVALID'],
      ['no sub', async () => mint(customerId, signingKey, { claims: { sub: undefined } }), 'TOKEN_CLAIMS_INVALID'],
      ['a sub that is not a user id', async () => mint('service-account', signingKey), 'TOKEN_CLAIMS_INVALID'],
      ['three dotted parts whose header is not JSON', async () => 'bm90IGpzb24.e30.c2lnbmF0dXJl', 'TOKEN_MALFORMED'],
    ])('%s', async (_what, forge, code) => {
      const token = await forge();
      minted.push(token);
      const res = await get('/api/v1/nodes', token).expect(401);
      expect(res.body).toMatchObject({ status: 'error', code, requestId: expect.any(String) });
      expect(res.body.message).not.toContain(token);
    });
  });

  test('a valid token of a user nobody provisioned is 403 USER_NOT_PROVISIONED', async () => {
    const res = await get('/api/v1/nodes', await mint(randomUUID(), signingKey)).expect(403);
    expect(res.body.code).toBe('USER_NOT_PROVISIONED');
  });

  test('a disabled user is refused at once, an enabled one at once again, a deleted one too', async () => {
    const id = randomUUID();
    await request(app).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ id, role: 'customer', communityId: tenant.communityId }).expect(201);
    const token = await mint(id, signingKey);
    await get('/api/v1/nodes', token).expect(200);
    await request(app).patch(`/api/v1/users/${id}`).set('Authorization', `Bearer ${admin}`).send({ disabled: true }).expect(200);
    expect((await get('/api/v1/nodes', token).expect(403)).body.code).toBe('USER_DISABLED');
    await request(app).patch(`/api/v1/users/${id}`).set('Authorization', `Bearer ${admin}`).send({ disabled: false }).expect(200);
    await get('/api/v1/nodes', token).expect(200);
    await request(app).delete(`/api/v1/users/${id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    expect((await get('/api/v1/nodes', token).expect(403)).body.code).toBe('USER_NOT_PROVISIONED');
  });

  test('Bull Board and /metrics stay API-key only: a superadmin user\'s token is refused', async () => {
    const id = randomUUID();
    await core.repos.users.create({ id, email: null, label: 'root user', role: 'superadmin', distributorId: null, communityId: null });
    const token = await mint(id, signingKey);
    await get('/api/v1/system/circuit', token).expect(200);
    expect((await get('/metrics', token)).status).toBe(401);
    expect((await get('/admin/queues', token)).status).toBe(401);
    await get('/metrics', admin).expect(200);
  });

  test('audit entries and creators name the user; a customer user changes only what it created', async () => {
    const otherId = randomUUID();
    await core.repos.users.create({ id: otherId, email: 'other@example.test', label: null, role: 'customer', distributorId: null, communityId: tenant.communityId });
    const mine = await mint(customerId, signingKey);
    const theirs = await mint(otherId, signingKey);
    const rule = { nodeId: tenant.nodeId, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, severity: 'warning' };
    const created = await request(app).post('/api/v1/alert-rules').set('Authorization', `Bearer ${mine}`).send(rule).expect(201);
    expect(created.body.data.createdBy).toEqual({ keyId: null, userId: customerId, role: 'customer' });
    const refused = await request(app).patch(`/api/v1/alert-rules/${created.body.data.id}`).set('Authorization', `Bearer ${theirs}`).send({ threshold: 10 }).expect(403);
    expect(refused.body.message).toMatch(/another customer user/);
    await request(app).patch(`/api/v1/alert-rules/${created.body.data.id}`).set('Authorization', `Bearer ${mine}`).send({ threshold: 10 }).expect(200);

    const entries = await core.db('audit_log').where({ resource_type: 'user', resource_id: otherId });
    expect(entries).toEqual([]); // created through the repository: no audit entry (the API path is below)
    const viaApi = randomUUID();
    const superUser = randomUUID();
    await core.repos.users.create({ id: superUser, email: 'root@example.test', label: null, role: 'superadmin', distributorId: null, communityId: null });
    const rootToken = await mint(superUser, signingKey, { claims: { email: 'root@example.test' } });
    await request(app).post('/api/v1/users').set('Authorization', `Bearer ${rootToken}`).send({ id: viaApi, role: 'customer', communityId: tenant.communityId }).expect(201);
    const [entry] = await core.db('audit_log').where({ resource_type: 'user', resource_id: viaApi, action: 'user.created' });
    expect(entry).toMatchObject({ actor_user_id: superUser, actor_key_id: null, actor_label: `user root@example.test (${superUser})` });
  });

  describe('signing keys', () => {
    test('key rotation: a token naming a new kid makes the JWKS be fetched again, and then it works', async () => {
      await get('/api/v1/me', await mint(customerId, signingKey)).expect(200);
      const before = supabase.jwksRequests;
      const rotated = await supabase.addKey('ES256');
      const token = await mint(customerId, rotated);
      // Within the refetch cooldown (300 ms here) the new kid may still be unknown; then it is fetched.
      await waitFor(async () => (await get('/api/v1/me', token)).status === 200, { timeoutMs: 5_000, intervalMs: 100, what: 'the rotated key to be accepted' });
      expect(supabase.jwksRequests).toBeGreaterThan(before);
      // The old key is still published: its tokens keep working.
      await get('/api/v1/me', await mint(customerId, signingKey)).expect(200);
    });

    test('unknown kids do not hammer the JWKS: refetches are rate-limited by the cooldown', async () => {
      await new Promise<void>((resolve) => setTimeout(resolve, 350)); // let the previous test's cooldown pass
      const before = supabase.jwksRequests;
      const strangers = await Promise.all(Array.from({ length: 5 }, () => supabase.addKey('ES256', false)));
      for (const k of strangers) expect((await get('/api/v1/me', await mint(customerId, k)).expect(401)).body.code).toBe('TOKEN_KEY_UNKNOWN');
      expect(supabase.jwksRequests - before).toBeLessThanOrEqual(1);
    });

    test('JWKS down: cached keys keep working and an unknown kid is a quick 401', async () => {
      await get('/api/v1/me', await mint(customerId, signingKey)).expect(200);
      await supabase.stop();
      try {
        await get('/api/v1/me', await mint(customerId, signingKey)).expect(200);
        const stranger = await supabase.addKey('ES256', false);
        const started = Date.now();
        const res = await get('/api/v1/me', await mint(customerId, stranger)).expect(401);
        expect(res.body.code).toBe('TOKEN_KEY_UNKNOWN');
        expect(Date.now() - started).toBeLessThan(2_000);
        // Still fine after the refusal (no stuck state).
        await get('/api/v1/me', await mint(customerId, signingKey)).expect(200);
      } finally {
        await supabase.listen();
      }
    });

    test('a JWKS that accepts and never answers: an unknown kid still gets its 401, after the fetch timeout, not a hang', async () => {
      await new Promise<void>((resolve) => setTimeout(resolve, 350));
      supabase.hang = true;
      try {
        const stranger = await supabase.addKey('ES256', false);
        const started = Date.now();
        const res = await get('/api/v1/me', await mint(customerId, stranger)).expect(401);
        expect(res.body.code).toBe('TOKEN_KEY_UNKNOWN');
        expect(Date.now() - started).toBeLessThan(5_000);
        await get('/api/v1/me', await mint(customerId, signingKey)).expect(200);
      } finally {
        supabase.hang = false;
      }
    });
  });

  test('no token ever reaches a log line', () => {
    expect(minted.length).toBeGreaterThan(20);
    const text = core.logs.text();
    for (const token of minted) {
      expect(text).not.toContain(token);
      const signature = token.split('.')[2];
      if (signature && signature.length > 10) expect(text).not.toContain(signature);
    }
  });
});

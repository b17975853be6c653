import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { issueKey } from '../../helpers/http';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { FakeSupabase, type FakeSigningKey } from '../../helpers/fake-supabase';
import { distributorCommunity } from '../api/tenant-fixtures';
import { refusedUpgrade, startLiveServer } from '../ws/live-test-client';

const PORT = 47402;

/** Who becomes a user: only POST /users by default, app_metadata when the operator trusts it, nobody when sign-in is off. */
describe('user provisioning and sign-in settings', () => {
  let supabase: FakeSupabase;
  let key: FakeSigningKey;
  const cores: TestCore[] = [];
  let tenant: { distributorId: string; communityId: string; nodeId: string };

  const appWith = (env: Record<string, string>): { core: TestCore; app: Express } => {
    const core = createTestCore(env, 'api');
    cores.push(core);
    return { core, app: createApp(core) };
  };
  const me = (app: Express, token: string) => request(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    supabase = await FakeSupabase.start(PORT);
    key = await supabase.addKey('RS256');
    tenant = await distributorCommunity(cores[0] ?? appWith({}).core);
  });

  afterAll(async () => {
    await supabase.stop();
    for (const core of cores) await core.close();
  });

  describe('AUTH_TRUST_APP_METADATA=true', () => {
    let core: TestCore;
    let app: Express;
    beforeAll(() => ({ core, app } = appWith({ SUPABASE_URL: supabase.url, AUTH_TRUST_APP_METADATA: 'true' })));

    test('app_metadata.evara provisions a customer on first sight (RS256 token), with that scope', async () => {
      const sub = randomUUID();
      const token = await supabase.mint(sub, key, { claims: { app_metadata: { provider: 'email', evara: { role: 'customer', communityId: tenant.communityId } } } });
      const res = await me(app, token).expect(200);
      expect(res.body.data).toMatchObject({ kind: 'user', id: sub, role: 'customer', scope: { communityId: tenant.communityId } });
      expect(await core.repos.users.findById(sub)).toMatchObject({ provisionedVia: 'app_metadata', role: 'customer', communityId: tenant.communityId });
      const nodes = await request(app).get('/api/v1/nodes').set('Authorization', `Bearer ${token}`).expect(200);
      expect(nodes.body.data.map((n: { id: string }) => n.id)).toEqual([tenant.nodeId]);
    });

    test.each<[string, Record<string, unknown>]>([
      ['user_metadata (the user can edit it)', { user_metadata: { evara: { role: 'superadmin' } } }],
      ['app_metadata asking for superadmin', { app_metadata: { evara: { role: 'superadmin' } } }],
      ['app_metadata naming a community that does not exist', { app_metadata: { evara: { role: 'customer', communityId: randomUUID() } } }],
      ['app_metadata without evara', { app_metadata: { provider: 'email' } }],
    ])('%s provisions nobody: 403 USER_NOT_PROVISIONED', async (_what, claims) => {
      const sub = randomUUID();
      const res = await me(app, await supabase.mint(sub, key, { claims })).expect(403);
      expect(res.body.code).toBe('USER_NOT_PROVISIONED');
      expect(await core.repos.users.findById(sub)).toBeUndefined();
    });
  });

  test('by default app_metadata is not trusted', async () => {
    const { core, app } = appWith({ SUPABASE_URL: supabase.url });
    const sub = randomUUID();
    const token = await supabase.mint(sub, key, { claims: { app_metadata: { evara: { role: 'customer', communityId: tenant.communityId } } } });
    expect((await me(app, token).expect(403)).body.code).toBe('USER_NOT_PROVISIONED');
    expect(await core.repos.users.findById(sub)).toBeUndefined();
  });

  test('without SUPABASE_JWT_SECRET an HS256 token is not on the allow-list', async () => {
    const { core, app } = appWith({ SUPABASE_URL: supabase.url });
    const sub = randomUUID();
    await core.repos.users.create({ id: sub, email: null, label: null, role: 'customer', distributorId: null, communityId: tenant.communityId });
    await me(app, await supabase.mint(sub, key)).expect(200);
    const res = await me(app, await supabase.mint(sub, { secret: 'some-secret-that-is-long-enough-0123456789' })).expect(401);
    expect(res.body.code).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  test('a JWKS never fetched and unreachable is dependency trouble: 503 AUTH_KEYS_UNAVAILABLE with Retry-After, quickly, REST and live socket alike', async () => {
    // Nothing listens on this port: the project's JWKS cannot be fetched and no key was fetched before.
    const { core, app } = appWith({ SUPABASE_URL: 'http://127.0.0.1:47404' });
    const sub = randomUUID();
    await core.repos.users.create({ id: sub, email: null, label: null, role: 'superadmin', distributorId: null, communityId: null });
    const token = await supabase.mint(sub, key);
    const started = Date.now();
    const res = await me(app, token).expect(503);
    expect(res.body.code).toBe('AUTH_KEYS_UNAVAILABLE');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(Date.now() - started).toBeLessThan(2_000);
    const live = await startLiveServer(core);
    try {
      const refused = await refusedUpgrade(live.url, { Authorization: `Bearer ${token}` });
      expect(refused).toMatchObject({ status: 503, body: { code: 'AUTH_KEYS_UNAVAILABLE' } });
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    } finally {
      await live.close();
    }
  });

  test('with neither variable set nothing changes: a token is just an unknown API key, keys work as before', async () => {
    const { core, app } = appWith({});
    expect(core.config.userAuth).toBeUndefined();
    const sub = randomUUID();
    await core.repos.users.create({ id: sub, email: null, label: null, role: 'superadmin', distributorId: null, communityId: null });
    const res = await me(app, await supabase.mint(sub, key)).expect(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
    const apiKey = await issueKey(core, { role: 'customer', communityId: tenant.communityId });
    expect((await me(app, apiKey).expect(200)).body.data).toMatchObject({ kind: 'api_key', role: 'customer', scope: { communityId: tenant.communityId } });
  });
});

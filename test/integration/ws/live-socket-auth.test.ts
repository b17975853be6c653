import { randomUUID } from 'node:crypto';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { itDatabaseUrl } from '../../setup/test-env';
import { connectLive, issueTicket, refusedUpgrade, startLiveServer, type LiveServer } from './live-test-client';

const DEAD_DB = 'postgres://postgres:deadpass@127.0.0.1:1/evara';
const DEAD_REDIS = 'redis://127.0.0.1:1';

describe('live socket /api/v1/ws: authentication', () => {
  let core: TestCore;
  let live: LiveServer;
  let customerKey: string;
  let communityId: string;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    live = await startLiveServer(core);
    const community = await core.repos.communities.create({ slug: `auth-${randomUUID().slice(0, 8)}`, name: 'Auth', distributorId: null });
    if (community === 'slug_taken') throw new Error('slug collision');
    communityId = community.id;
    customerKey = await issueKey(core, { role: 'customer', communityId });
  });

  afterAll(async () => {
    await live.close();
    await core.close();
  });

  test('when no key or ticket is sent, then the upgrade is refused with 401 and a JSON error body', async () => {
    const res = await refusedUpgrade(live.url);

    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body).toMatchObject({ status: 'error', code: 'UNAUTHORIZED', message: expect.stringContaining('ticket') });
    expect(live.hub.clientCount()).toBe(0);
  });

  test('when the key is unknown, then 401', async () => {
    const res = await refusedUpgrade(live.url, { Authorization: 'Bearer evk_AAAAAAAAAAAA_notarealkeynotarealkeynotarealkey12345' });

    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/unknown or revoked/) });
  });

  test('when a valid key is sent as a Bearer header, then the socket opens and WELCOME names the scope', async () => {
    const client = await connectLive(live.url, { key: customerKey });
    try {
      expect(client.welcome.data).toMatchObject({ role: 'customer', communityId });
      expect(live.hub.clientCount()).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
    }
  });

  test('when a ticket is used, then it opens one socket and a second use of it is refused with 401', async () => {
    const ticket = await issueTicket(live.httpUrl, customerKey);

    const client = await connectLive(`${live.url}?ticket=${ticket}`);
    const reused = await refusedUpgrade(`${live.url}?ticket=${ticket}`);

    try {
      expect(client.welcome.data).toMatchObject({ role: 'customer', communityId });
      expect(reused.status).toBe(401);
      expect(reused.body).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/already used/) });
    } finally {
      client.close();
    }
  });

  test('when a ticket was never issued, or the API key is put in the URL, then 401 and the key is never logged', async () => {
    const made = await refusedUpgrade(`${live.url}?ticket=${'x'.repeat(43)}`);
    const keyInUrl = await refusedUpgrade(`${live.url}?ticket=${encodeURIComponent(customerKey)}`);

    expect(made.status).toBe(401);
    expect(keyInUrl.status).toBe(401);
    expect(core.logs.text()).not.toContain(customerKey);
  });

  test('when the ticket route is called without a key, then 401', async () => {
    const res = await fetch(`${live.httpUrl}/api/v1/ws/tickets`, { method: 'POST' });

    expect(res.status).toBe(401);
  });

  test('when the path is not /api/v1/ws, then the upgrade is refused with 404', async () => {
    const res = await refusedUpgrade(live.url.replace('/api/v1/ws', '/api/v1/nodes'), { Authorization: `Bearer ${customerKey}` });

    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  test('when the database is down during authentication, then 503 with Retry-After', async () => {
    const deadDb = createTestCore({ DATABASE_URL: DEAD_DB }, 'api');
    const deadLive = await startLiveServer(deadDb);
    try {
      const res = await refusedUpgrade(deadLive.url, { Authorization: `Bearer ${customerKey}` });

      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(JSON.stringify(res.body)).not.toContain('deadpass');
    } finally {
      await deadLive.close();
      await deadDb.close();
    }
  });

  test('when Redis is down while a ticket is redeemed, then 503', async () => {
    const deadRedis = createTestCore({ REDIS_URL: DEAD_REDIS, DATABASE_URL: itDatabaseUrl() }, 'api');
    const deadLive = await startLiveServer(deadRedis, { waitForSubscription: false });
    try {
      const res = await refusedUpgrade(`${deadLive.url}?ticket=${'y'.repeat(43)}`);

      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    } finally {
      await deadLive.close();
      await deadRedis.close();
    }
  });
});

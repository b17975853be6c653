import { randomUUID } from 'node:crypto';
import { generateApiKey } from '../../../src/shared/auth/api-key';
import { waitForRedis } from '../../../src/shared/redis';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { connectLive, refusedUpgrade, startLiveServer, type LiveServer, type LiveTestClient } from './live-test-client';

const MAX_SOCKETS = 2;
const FAILED_AUTH = 3;

/**
 * Limits on the live socket: at most TENANT_MAX_LIVE_SOCKETS_PER_KEY open sockets per API key,
 * counted in Redis across every API process (two hubs on one Redis stand for two processes here),
 * and upgrades rate limited per client address in the REST counters, so bad keys on upgrades cost
 * no key lookup once the address is over its quota. Real sockets, Redis and Postgres.
 */
describe('live socket /api/v1/ws: per-key socket cap and upgrade rate limits', () => {
  let core: TestCore;
  let liveA: LiveServer;
  let liveB: LiveServer;
  let communityId: string;
  const opened: LiveTestClient[] = [];

  beforeAll(async () => {
    core = createTestCore({ TENANT_MAX_LIVE_SOCKETS_PER_KEY: String(MAX_SOCKETS), RATE_LIMIT_FAILED_AUTH_PER_MINUTE: String(FAILED_AUTH) }, 'api');
    // Until Redis is ready the limiter counts in memory (its outage fallback): start from the shared counters.
    await waitForRedis(core.redis, 5_000);
    liveA = await startLiveServer(core);
    liveB = await startLiveServer(core);
    const community = await core.repos.communities.create({ slug: `limits-${randomUUID().slice(0, 8)}`, name: 'Limits', distributorId: null });
    if (community === 'slug_taken') throw new Error('slug collision');
    communityId = community.id;
  });

  afterEach(() => {
    for (const c of opened.splice(0)) c.close();
  });

  afterAll(async () => {
    await liveA.close();
    await liveB.close();
    await core.close();
  });

  const open = async (url: string, key: string) => {
    const client = await connectLive(url, { key });
    opened.push(client);
    return client;
  };
  const customerKey = () => issueKey(core, { role: 'customer', communityId });
  // TRUST_PROXY=1 (the default): the client address is the one the trusted proxy appends, so each test picks its own.
  const from = (ip: string, headers: Record<string, string> = {}) => ({ 'X-Forwarded-For': ip, ...headers });
  const badKey = () => ({ Authorization: `Bearer ${generateApiKey().key}` });

  describe('open sockets per key', () => {
    test('when a key holds the cap in sockets across two API processes, then one more on either is refused with 409 naming the cap, and another key still connects', async () => {
      const key = await customerKey();
      await open(liveA.url, key);
      await open(liveB.url, key);

      const onA = await refusedUpgrade(liveA.url, { Authorization: `Bearer ${key}` });
      const onB = await refusedUpgrade(liveB.url, { Authorization: `Bearer ${key}` });
      const other = await open(liveA.url, await customerKey());

      for (const res of [onA, onB]) {
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({ status: 'error', code: 'TENANT_LIMIT_REACHED' });
        expect(res.body.message).toMatch(new RegExp(`^Tenant limit reached: API key [0-9a-f-]{36} already has ${MAX_SOCKETS} open live sockets, the most allowed \\(TENANT_MAX_LIVE_SOCKETS_PER_KEY=${MAX_SOCKETS}\\); close one before opening another$`));
      }
      expect(other.welcome.event).toBe('WELCOME');
    });

    test('when one of the sockets closes, then its slot frees up and the key connects again', async () => {
      const key = await customerKey();
      const first = await open(liveA.url, key);
      await open(liveB.url, key);
      expect((await refusedUpgrade(liveA.url, { Authorization: `Bearer ${key}` })).status).toBe(409);

      first.close();

      // The slot is released when the server sees the close: retry until then, within the deadline.
      const again = await waitFor(() => open(liveA.url, key), { what: 'a socket once a slot is free' });
      expect(again.welcome.event).toBe('WELCOME');
    });

    test('when many upgrades with one key race on two processes, then exactly the cap opens and the rest get 409', async () => {
      const key = await customerKey();

      const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => open(i % 2 ? liveA.url : liveB.url, key)));

      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(MAX_SOCKETS);
      for (const a of attempts) if (a.status === 'rejected') expect(String(a.reason)).toContain('HTTP 409');
    });
  });

  describe('failed upgrade authentications', () => {
    test('when one address sends bad keys and tickets on upgrades, then past the quota it gets 429 with Retry-After before any key lookup, and another address still gets 401', async () => {
      let keyLookups = 0;
      const countLookups = (q: { sql: string }) => {
        if (/from "api_keys"/i.test(q.sql)) keyLookups += 1;
      };
      core.db.on('query', countLookups);
      try {
        const ip = '203.0.113.21';
        const failures = [
          await refusedUpgrade(liveA.url, from(ip, badKey())),
          await refusedUpgrade(`${liveB.url}?ticket=${'t'.repeat(43)}`, from(ip)),
          await refusedUpgrade(liveA.url, from(ip, badKey())),
        ];
        const lookupsBefore = keyLookups;

        const refused = await refusedUpgrade(liveB.url, from(ip, badKey()));
        const elsewhere = await refusedUpgrade(liveA.url, from('203.0.113.22', badKey()));

        expect(failures.map((f) => f.status)).toEqual([401, 401, 401]);
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toMatch(/^\d+$/);
        expect(refused.body).toMatchObject({ status: 'error', code: 'RATE_LIMITED', message: expect.stringContaining(`more than ${FAILED_AUTH} failed authentications a minute from this address`) });
        expect(keyLookups).toBe(lookupsBefore + 1); // the other address's lookup only
        expect(elsewhere.status).toBe(401);
      } finally {
        core.db.off('query', countLookups);
      }
    });

    test('when an address is blocked, then a valid key on the upgrade is refused too until the minute ends', async () => {
      const ip = '203.0.113.23';
      for (let i = 0; i < FAILED_AUTH; i += 1) expect((await refusedUpgrade(liveA.url, from(ip, badKey()))).status).toBe(401);

      const res = await refusedUpgrade(liveA.url, from(ip, { Authorization: `Bearer ${await customerKey()}` }));

      expect(res.status).toBe(429);
    });

    test('when the 401s of one address come from REST and from upgrades, then they add up in the same counter', async () => {
      const ip = '203.0.113.24';
      for (let i = 0; i < FAILED_AUTH - 1; i += 1) {
        const rest = await fetch(`${liveA.httpUrl}/api/v1/nodes`, { headers: from(ip, badKey()) });
        expect(rest.status).toBe(401);
      }
      expect((await refusedUpgrade(liveB.url, from(ip, badKey()))).status).toBe(401);

      const upgrade = await refusedUpgrade(liveA.url, from(ip, badKey()));
      const rest = await fetch(`${liveB.httpUrl}/api/v1/nodes`, { headers: from(ip, badKey()) });

      expect(upgrade.status).toBe(429);
      expect(rest.status).toBe(429);
    });
  });
});

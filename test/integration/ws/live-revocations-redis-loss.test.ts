import { createPrivateRedis } from '../../../scripts/private-redis';
import { LIVE_CLOSE } from '../../../src/api/ws/live-close-codes';
import { waitForRedis } from '../../../src/shared/redis';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { connectLive, startLiveServer, type LiveServer, type LiveTestClient } from './live-test-client';

// Own port: the drill uses 6391, redis-loss.processes.test.ts 6392.
const REDIS_PORT = 6393;

/**
 * A revocation announced while the API's Redis subscription is down is lost (pub/sub keeps
 * nothing). The cache TTL and the socket recheck are long here, so only the reconnection's own
 * re-read can refuse the key in time.
 */
describe('API key revocations across a Redis loss', () => {
  const redis = createPrivateRedis(REDIS_PORT);
  let core: TestCore | undefined;
  let server: LiveServer | undefined;
  let live: LiveTestClient | undefined;

  afterAll(async () => {
    live?.close();
    await server?.close();
    await core?.close();
    await redis.kill();
  });

  test('when a key is revoked while Redis is down, then once Redis is back its cached entry is dropped and its open socket closed', async () => {
    await redis.start();
    core = createTestCore({ REDIS_URL: redis.url, API_KEY_CACHE_MS: '300000', LIVE_KEY_RECHECK_MS: '3600000' }, 'api');
    await waitForRedis(core.redis, 5_000);
    server = await startLiveServer(core);
    const key = await issueKey(core, { role: 'superadmin' });
    const get = () => fetch(`${server!.httpUrl}/api/v1/api-keys`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await get()).toBe(200); // cached from now on
    live = await connectLive(server.url, { key });

    await redis.kill();
    const record = await core.repos.apiKeys.findByKey(key);
    await core.db('api_keys').where({ id: record!.id }).update({ revoked_at: new Date() }); // revoked elsewhere: nobody can announce it
    expect(await get()).toBe(200); // still trusted from the cache while Redis is away

    await redis.start();
    await waitFor(async () => (await get()) === 401, { what: 'the revoked key refused after Redis came back', timeoutMs: 15_000 });
    await waitFor(() => live!.closeCode() === LIVE_CLOSE.keyRevoked.code, { what: 'the revoked key socket closed', timeoutMs: 5_000 });
  });
});

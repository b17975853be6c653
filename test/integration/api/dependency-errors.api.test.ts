import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey } from '../../helpers/http';
import { createNode } from '../../helpers/factories';
import { itDatabaseUrl } from '../../setup/test-env';
import { waitForRedis } from '../../../src/shared/redis';

/** A port nothing listens on: connections are refused at once, like a database that is down. */
const DEAD_DB = 'postgres://postgres:deadpass@127.0.0.1:1/evara';
const DEAD_REDIS = 'redis://127.0.0.1:1';

describe('API when a dependency is down', () => {
  const cores: TestCore[] = [];
  afterAll(async () => {
    await Promise.all(cores.map((c) => c.close()));
  });

  test('when the database is unreachable, then database routes answer 503 with Retry-After quickly and /health says degraded', async () => {
    const core = createTestCore({ DATABASE_URL: DEAD_DB }, 'api');
    cores.push(core);
    const api = apiClient(core, 'evk_AAAAAAAAAAAA_somekeysomekeysomekeysomekeysomekey1234');
    await waitForRedis(core.redis, 5_000);

    const started = Date.now();
    const res = await api.get('/api/v1/nodes').expect(503);
    const elapsed = Date.now() - started;

    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ status: 'error', code: 'DATABASE_UNAVAILABLE', message: expect.stringMatching(/database is unavailable/) });
    expect(res.text).not.toContain('deadpass');
    expect(elapsed).toBeLessThan(10_000); // bounded by the connect timeout, never a hang
    const health = await api.get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'degraded', services: { database: { status: 'down' }, redis: { status: 'up' } } });
    expect(health.text).not.toContain('deadpass');
    await api.get('/livez').expect(200);
    await api.get('/readyz').expect(200);
  });

  test('when Redis is unreachable, then an on-demand poll answers 503 REDIS_UNAVAILABLE instead of hanging', async () => {
    const healthy = createTestCore({}, 'api');
    cores.push(healthy);
    const { node } = await createNode(healthy);
    const key = await issueKey(healthy, { role: 'superadmin' });
    const core = createTestCore({ REDIS_URL: DEAD_REDIS, DATABASE_URL: itDatabaseUrl() }, 'api');
    cores.push(core);
    const api = apiClient(core, key);

    const started = Date.now();
    const res = await api.post(`/api/v1/nodes/${node.id}/poll`, {}).expect(503);
    expect(Date.now() - started).toBeLessThan(15_000);

    expect(res.body).toMatchObject({ code: 'REDIS_UNAVAILABLE', message: expect.stringMatching(/Redis/) });
    expect(res.headers['retry-after']).toBeDefined();
  });
});

import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';

const POINTERS = { docs: '/docs', openapi: '/openapi.json', health: '/health', routes: '/api/v1/debug/routes' };

describe('404 with hints for unknown routes', () => {
  let core: TestCore;
  let api: ApiClient;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }));
  });

  afterAll(async () => {
    await core.close();
  });

  test('given a mistyped collection, when GET /api/v1/node is asked, then 404 ROUTE_NOT_FOUND suggests /api/v1/nodes first, with where the docs are', async () => {
    const res = await api.get('/api/v1/node').expect(404);
    expect(res.body).toMatchObject({ status: 'error', code: 'ROUTE_NOT_FOUND', message: 'No route for GET /api/v1/node', requestId: expect.any(String), hints: POINTERS });
    expect(res.body.hints.didYouMean[0]).toBe('GET /api/v1/nodes');
    expect(res.body.hints.didYouMean).toHaveLength(3);
  });

  test('given an abbreviated action, when POST /api/v1/alerts/x/ack is asked, then the acknowledge route is suggested first', async () => {
    const res = await api.post('/api/v1/alerts/x/ack', {}).expect(404);
    expect(res.body.hints.didYouMean[0]).toBe('POST /api/v1/alerts/:id/acknowledge');
  });

  test('given no API key, when an unknown /api/v1 path is asked, then it is still a 404 with hints, not a 401', async () => {
    const res = await api.get('/api/v1/webhook/abc/delivery', '').expect(404);
    expect(res.body.code).toBe('ROUTE_NOT_FOUND');
    expect(res.body.hints.didYouMean[0]).toBe('GET /api/v1/webhooks/:id/deliveries');
  });

  test('given no API key, when a known /api/v1 route is asked (any case, trailing slash), then the key is still required', async () => {
    await api.get('/api/v1/nodes', '').expect(401);
    await api.get('/API/v1/Nodes/', '').expect(401);
    await api.del('/api/v1/alert-rules/123', '').expect(401);
  });

  test('given a known path with a method it does not have, when asked, then 404 suggests the same path with its methods', async () => {
    const res = await api.del('/api/v1/alerts/summary').expect(404);
    expect(res.body.hints.didYouMean).toContain('GET /api/v1/alerts/summary');
  });

  test('given a very long unknown path, when asked without a key, then 404 without suggestions (no costly similarity search)', async () => {
    const res = await api.get(`/api/v1/${'segment/'.repeat(2_000)}`, '').expect(404);
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', hints: { didYouMean: [], docs: '/docs' } });
  });

  test('given an unknown path outside /api/v1, when asked, then the same 404 body with hints', async () => {
    const res = await api.get('/helth').expect(404);
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', hints: POINTERS });
    expect(res.body.hints.didYouMean[0]).toBe('GET /health');
  });
});

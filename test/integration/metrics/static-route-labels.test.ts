import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { sampleValue } from '../../helpers/prometheus-text';

const METRICS_TOKEN = `metrics-${randomUUID()}-${randomUUID()}`;

/** Static files are counted under their mount or route, never as `unmatched`; /status/assets answers as documented. */
describe('static files in http_requests_total', () => {
  let core: TestCore;
  let api: ApiClient;

  beforeAll(async () => {
    core = createTestCore({ METRICS_TOKEN }, 'api');
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }));
  });

  afterAll(async () => {
    await core.close();
  });

  const scrape = async () => (await api.get('/metrics', METRICS_TOKEN).expect(200)).text;
  const count = (text: string, route: string, status: string) => sampleValue(text, 'http_requests_total', { method: 'GET', route, status }) ?? 0;

  test('given a status page asset and a docs asset, when each is fetched, then they are counted under /status/assets/* and /docs/:asset, not unmatched', async () => {
    const before = await scrape();
    await request(api.app).get('/status/assets/status.js').expect(200);
    await request(api.app).get('/status/assets/status.css').expect(200);
    await request(api.app).get('/docs/swagger-ui.css').expect(200);
    const after = await scrape();
    expect(count(after, '/status/assets/*', '200') - count(before, '/status/assets/*', '200')).toBe(2);
    expect(count(after, '/docs/:asset', '200') - count(before, '/docs/:asset', '200')).toBe(1);
    expect(count(after, 'unmatched', '200')).toBe(0);
  });

  test('given /status/assets itself, when fetched, then 404 with the error body as documented, not a 301', async () => {
    const res = await request(api.app).get('/status/assets').expect(404);
    expect(res.body).toEqual(expect.objectContaining({ status: 'error', code: 'ROUTE_NOT_FOUND' }));
    const missingFile = await request(api.app).get('/status/assets/nope.js').expect(404);
    expect(missingFile.body).toEqual(expect.objectContaining({ status: 'error' }));
    const doc = (await request(api.app).get('/openapi.json').expect(200)).body;
    const op = doc.paths['/status/assets'].get;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '404']);
  });
});

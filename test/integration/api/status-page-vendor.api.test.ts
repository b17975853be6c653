import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { STATUS_PAGE_CSP, VENDOR_DIR } from '../../../src/api/status-page/status-page.routes';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';

/** uPlot for the node view comes from this API (the npm package's dist files), never a CDN, and only the two files the page loads. */
describe('status page vendor files', () => {
  let core: TestCore;
  let api: ApiClient;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core, await issueKey(core, { role: 'superadmin' }));
  });

  afterAll(async () => {
    await core.close();
  });

  test.each([
    ['uPlot.iife.min.js', /javascript/],
    ['uPlot.min.css', /text\/css/],
  ])('given %s, when fetched without a key, then the package file is served, cached for a day, under the page CSP', async (file, type) => {
    const res = await request(api.app).get(`/status/assets/vendor/${file}`).expect(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers['content-security-policy']).toBe(STATUS_PAGE_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toBe(readFileSync(path.join(VENDOR_DIR, file), 'utf8'));
    // Revalidated with the ETag once the day is over.
    await request(api.app).get(`/status/assets/vendor/${file}`).set('If-None-Match', res.headers.etag!).expect(304);
  });

  test('given another file of the package, a path out of it or the folder itself, when fetched, then 404 with the error body', async () => {
    for (const p of ['uPlot.cjs.js', 'uPlot.d.ts', '../package.json', '..%2Fpackage.json', '', 'status.js']) {
      const res = await request(api.app).get(`/status/assets/vendor/${p}`);
      expect([p, res.status]).toEqual([p, 404]);
      expect(res.body).toEqual(expect.objectContaining({ status: 'error', code: 'ROUTE_NOT_FOUND' }));
    }
    await request(api.app).post('/status/assets/vendor/uPlot.min.css').expect(404);
  });
});

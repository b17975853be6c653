import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { CROSS_SITE_WRITE_MESSAGE } from '../../../src/api/admin/same-origin-writes';
import { issueKey } from '../../helpers/http';
import { createTestCore, type TestCore } from '../../helpers/test-core';

const basic = (key: string) => `Basic ${Buffer.from(`ops:${key}`).toString('base64')}`;

/**
 * The board signs in with HTTP Basic, which a browser attaches to any request to this site, also one
 * made by another site's page: changes must come from the board's own origin.
 */
describe('Bull Board cross-site request forgery', () => {
  let core: TestCore;
  let app: Express;
  let auth: string;

  beforeAll(async () => {
    core = createTestCore({ CIRCUIT_CHECK_MS: '60000' });
    app = createApp(core);
    auth = basic(await issueKey(core, { role: 'superadmin' }, 'csrf admin'));
  });

  afterEach(async () => {
    await core.queues.poll.resume();
  });

  afterAll(async () => {
    await core.close();
  });

  const pause = () => request(app).put('/admin/queues/api/queues/poll/pause').set('Authorization', auth).set('Host', 'board.example');

  test.each([
    ['Origin of another site', { Origin: 'https://evil.example' }],
    ['Origin "null" (a sandboxed frame)', { Origin: 'null' }],
    ['Origin with another scheme', { Origin: 'https://board.example' }],
    ['no Origin and Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['no Origin and Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
  ])('when a change arrives with %s, then 403 with a clear message and the queue is untouched', async (_what, headers) => {
    const res = await pause().set(headers).expect(403);
    expect(res.body).toMatchObject({ status: 'error', code: 'FORBIDDEN', message: CROSS_SITE_WRITE_MESSAGE });
    expect(await core.queues.poll.isPaused()).toBe(false);
  });

  test('when a POST comes from another site, then it is refused as well (every method but GET and HEAD)', async () => {
    await request(app).post('/admin/queues/api/queues/poll/clean/failed').set('Authorization', auth).set('Origin', 'https://evil.example').expect(403);
  });

  test('when a change comes from the board itself (same Origin, or Sec-Fetch-Site same-origin), then it reaches Bull Board', async () => {
    await pause().set('Origin', 'http://board.example').expect(200);
    expect(await core.queues.poll.isPaused()).toBe(true);
    await core.queues.poll.resume();

    await pause().set('Sec-Fetch-Site', 'same-origin').expect(200);
    expect(await core.queues.poll.isPaused()).toBe(true);
  });

  test('when the API is behind the TLS proxy, then the https origin the browser sees is the same origin', async () => {
    await pause().set('X-Forwarded-Proto', 'https').set('Origin', 'https://board.example').expect(200);
    expect(await core.queues.poll.isPaused()).toBe(true);
  });

  test('when a script sends no Origin and no Sec-Fetch-Site (not a browser), then it is not affected', async () => {
    await pause().expect(200);
    expect(await core.queues.poll.isPaused()).toBe(true);
  });

  test('when another site only reads (GET), then the guard does not apply (the browser keeps the answer from it)', async () => {
    await request(app).get('/admin/queues/api/queues').set('Authorization', auth).set('Origin', 'https://evil.example').expect(200);
  });
});

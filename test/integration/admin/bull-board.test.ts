import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { pollPausedByBreakerKey, RESUME_REFUSED_MESSAGE } from '../../../src/api/admin/poll-pause-hooks';
import { QUEUE_NAMES } from '../../../src/shared/queues/queue-names';
import { startBreakerWatch } from '../../../src/workers/breaker-watch';
import { issueKey } from '../../helpers/http';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';

const basic = (key: string) => `Basic ${Buffer.from(`ops:${key}`).toString('base64')}`;

/** Bull Board at /admin/queues: API-key auth, a full board for superadmins, read-only for others, breaker-aware pause. */
describe('Bull Board at /admin/queues', () => {
  let core: TestCore;
  let app: Express;
  let watch: ReturnType<typeof startBreakerWatch>;
  let superKey: string;
  let customerKey: string;
  let distributorKey: string;

  beforeAll(async () => {
    core = createTestCore({ CIRCUIT_CHECK_MS: '60000', CIRCUIT_PROBE_BASE_MS: '600000' });
    app = createApp(core);
    watch = startBreakerWatch(core);
    const community = await core.repos.communities.findBySlug('default');
    superKey = await issueKey(core, { role: 'superadmin' }, 'bull board admin');
    customerKey = await issueKey(core, { role: 'customer', communityId: community!.id }, 'bull board customer');
    const distributor = await core.repos.communities.createDistributor(`Board distributor ${Date.now()}`);
    if (distributor === 'name_taken') throw new Error('distributor name taken');
    distributorKey = await issueKey(core, { role: 'distributor', distributorId: distributor.id }, 'bull board distributor');
  });

  afterAll(async () => {
    await watch.stop();
    await core.close();
  });

  const pollPaused = () => core.queues.poll.isPaused();

  test('when a request has no key or a wrong one, then it is refused with a Basic challenge and no secret in the answer', async () => {
    for (const auth of [undefined, 'Bearer evk_wrong_0123456789abcdef0123456789', basic('not-a-real-key-0123456789'), 'Basic !!!', basic('')]) {
      const req = request(app).get('/admin/queues/api/queues');
      const res = await (auth ? req.set('Authorization', auth) : req).expect(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Evara admin", charset="UTF-8"');
      expect(res.body).toMatchObject({ status: 'error', code: 'UNAUTHORIZED' });
      expect(JSON.stringify(res.body)).not.toContain('0123456789');
    }
    await request(app).get('/admin/queues').expect(401);
    await request(app).put('/admin/queues/api/queues/poll/pause').expect(401);
    expect(await pollPaused()).toBe(false);
  });

  test('when a superadmin signs in (Basic or Bearer), then the full board lists every queue, writable', async () => {
    const page = await request(app).get('/admin/queues').set('Authorization', basic(superKey)).expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<base href="/admin/queues/"');
    expect(page.text).toContain('Evara queues');
    expect(page.text).not.toContain('read-only');
    await request(app).get('/admin/queues/queue/poll').set('Authorization', basic(superKey)).expect(200);

    const api = await request(app).get('/admin/queues/api/queues').set('Authorization', `Bearer ${superKey}`).expect(200);
    const queues = api.body.queues as Array<{ name: string; readOnlyMode: boolean; isPaused: boolean }>;
    expect(queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(queues.every((q) => q.readOnlyMode === false)).toBe(true);
  });

  test.each([
    ['customer', () => customerKey],
    ['distributor', () => distributorKey],
  ])("when a %s signs in, then 403: jobs hold every tenant's data and the board cannot filter them", async (_role, key) => {
    const res = await request(app).get('/admin/queues/api/queues').set('Authorization', basic(key())).expect(403);
    expect(res.body.message).toMatch(/superadmin key/);
    await request(app).put('/admin/queues/api/queues/poll/pause').set('Authorization', basic(key())).expect(403);
    expect(await pollPaused()).toBe(false);
  });

  test('when a superadmin pauses and resumes a queue on the board, then each change is audited as queue.change with the key, system-wide', async () => {
    const keyId = (await core.repos.apiKeys.findByKey(superKey))!.id;
    await request(app).put('/admin/queues/api/queues/notifications/pause').set('Authorization', basic(superKey)).expect(200);
    await request(app).put('/admin/queues/api/queues/notifications/resume').set('Authorization', basic(superKey)).expect(200);
    // Refused: no entry.
    await request(app).put('/admin/queues/api/queues/notifications/pause').set('Authorization', basic(customerKey)).expect(403);

    const entries = await waitFor(
      async () => {
        const rows = await core.db('audit_log').where({ resource_type: 'queue', resource_id: 'notifications' }).where('actor_key_id', keyId).orderBy('id');
        return rows.length >= 2 ? rows : undefined;
      },
      { what: 'two queue.change entries' },
    );
    expect(entries!.map((e) => [e.action, e.community_id, e.details])).toEqual([
      ['queue.change', null, { method: 'PUT', path: '/api/queues/notifications/pause' }],
      ['queue.change', null, { method: 'PUT', path: '/api/queues/notifications/resume' }],
    ]);
    expect(await core.queues.notifications.isPaused()).toBe(false);
  });

  test('when the board is served, then it may not be framed by another site (clickjacking)', async () => {
    const res = await request(app).get('/admin/queues').set('Authorization', basic(superKey)).expect(200);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  test('when the database is down, then ADMIN_API_KEY still opens the board (stored keys cannot be checked: 503)', async () => {
    const adminKey = `evara-admin-${'x'.repeat(32)}`;
    const down = createTestCore({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/evara_nowhere', ADMIN_API_KEY: adminKey }, 'api');
    try {
      const downApp = createApp(down);
      const api = await request(downApp).get('/admin/queues/api/queues').set('Authorization', basic(adminKey)).expect(200);
      expect((api.body.queues as Array<{ name: string }>).map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
      const refused = await request(downApp).get('/admin/queues/api/queues').set('Authorization', basic(superKey)).expect(503);
      expect(refused.body.code).toBe('DATABASE_UNAVAILABLE');
    } finally {
      await down.close();
    }
  });

  test('when the breaker paused poll and a superadmin pauses it on the board, then the pause is the operator\'s: resuming is refused while open, and the breaker does not resume it on recovery', async () => {
    await core.breaker.forceOpen('database unavailable (test)');
    await watch.check();
    expect(await pollPaused()).toBe(true);
    // The workers' flag is the one the board clears: both sides spell the key the same way.
    expect(await core.redis.exists(pollPausedByBreakerKey(core))).toBe(1);

    const refused = await request(app).put('/admin/queues/api/queues/poll/resume').set('Authorization', basic(superKey)).expect(409);
    expect(refused.body.message).toBe(RESUME_REFUSED_MESSAGE);
    await request(app).put('/admin/queues/api/queues/resume').set('Authorization', basic(superKey)).expect(409);
    expect(await pollPaused()).toBe(true);

    await request(app).put('/admin/queues/api/queues/poll/pause').set('Authorization', basic(superKey)).expect(200);
    expect(await core.redis.exists(pollPausedByBreakerKey(core))).toBe(0);
    expect(core.logs.text()).not.toContain(superKey);
    // A check while the breaker is still open does not claim the operator's pause back.
    await watch.check();
    expect(await core.redis.exists(pollPausedByBreakerKey(core))).toBe(0);

    await core.redis.del(core.breaker.keys.state); // the database is back: the breaker is closed
    await watch.check();
    await watch.check();
    expect(await pollPaused()).toBe(true);

    await request(app).put('/admin/queues/api/queues/poll/resume').set('Authorization', basic(superKey)).expect(200);
    expect(await pollPaused()).toBe(false);
  });

  test('when an operator paused poll before the breaker opened, then the breaker leaves that pause alone and does not resume it on recovery', async () => {
    await request(app).put('/admin/queues/api/queues/poll/pause').set('Authorization', basic(superKey)).expect(200);
    await core.breaker.forceOpen('database unavailable while paused (test)');
    await watch.check();
    expect(await core.redis.exists(pollPausedByBreakerKey(core))).toBe(0);
    await core.redis.del(core.breaker.keys.state);
    await watch.check();
    expect(await pollPaused()).toBe(true);
    await request(app).put('/admin/queues/api/queues/poll/resume').set('Authorization', basic(superKey)).expect(200);
  });

  test('when the breaker paused poll and a superadmin pauses every queue, then poll\'s pause is taken over too', async () => {
    await core.breaker.forceOpen('database unavailable again (test)');
    await watch.check();
    expect(await core.redis.exists(pollPausedByBreakerKey(core))).toBe(1);

    await request(app).put('/admin/queues/api/queues/pause').set('Authorization', basic(superKey)).expect(200);
    expect(await core.redis.exists(pollPausedByBreakerKey(core))).toBe(0);
    expect(await core.queues.alerts.isPaused()).toBe(true);

    await core.redis.del(core.breaker.keys.state);
    await watch.check();
    expect(await pollPaused()).toBe(true);
    await request(app).put('/admin/queues/api/queues/resume').set('Authorization', basic(superKey)).expect(200);
    expect(await pollPaused()).toBe(false);
    expect(await core.queues.alerts.isPaused()).toBe(false);
  });
});

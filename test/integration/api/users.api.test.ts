import { randomUUID } from 'node:crypto';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { distributorCommunity } from './tenant-fixtures';

/** /api/v1/users: the same scope rules as API keys (a distributor manages customers of its own communities only). */
describe('users API', () => {
  let core: TestCore;
  let api: ApiClient;
  let admin: string;
  let distributorKey: string;
  let customerKey: string;
  let mine: { distributorId: string; communityId: string; nodeId: string };
  let theirs: { distributorId: string; communityId: string; nodeId: string };

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core);
    admin = await issueKey(core, { role: 'superadmin' });
    mine = await distributorCommunity(core);
    theirs = await distributorCommunity(core);
    distributorKey = await issueKey(core, { role: 'distributor', distributorId: mine.distributorId });
    customerKey = await issueKey(core, { role: 'customer', communityId: mine.communityId });
  });

  afterAll(async () => {
    await core.close();
  });

  test('a superadmin provisions any role; the answer is the user, and a second POST is 409 USER_EXISTS', async () => {
    const id = randomUUID();
    const res = await api.post('/api/v1/users', { id, email: 'd@example.test', label: 'Dee', role: 'distributor', distributorId: theirs.distributorId }, admin).expect(201);
    expect(res.body.data).toMatchObject({ id, email: 'd@example.test', label: 'Dee', role: 'distributor', distributorId: theirs.distributorId, communityId: null, provisionedVia: 'api', disabledAt: null });
    expect((await api.post('/api/v1/users', { id, role: 'superadmin' }, admin).expect(409)).body.code).toBe('USER_EXISTS');
    await api.get(`/api/v1/users/${id}`, admin).expect(200);
  });

  test.each<[string, Record<string, unknown>]>([
    ['a superadmin with a communityId', { role: 'superadmin', communityId: randomUUID() }],
    ['a customer without communityId', { role: 'customer' }],
    ['a distributor without distributorId', { role: 'distributor' }],
    ['an id that is not a uuid', { id: 'not-a-uuid', role: 'superadmin' }],
    ['an unknown role', { role: 'operator' }],
    ['an unknown field', { role: 'superadmin', admin: true }],
  ])('%s is a 400', async (_what, body) => {
    const res = await api.post('/api/v1/users', { id: randomUUID(), ...body }, admin).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  test('a distributor provisions customers of its own communities only', async () => {
    const ok = randomUUID();
    await api.post('/api/v1/users', { id: ok, role: 'customer', communityId: mine.communityId }, distributorKey).expect(201);
    expect((await api.post('/api/v1/users', { id: randomUUID(), role: 'customer', communityId: theirs.communityId }, distributorKey).expect(404)).body.code).toBe('COMMUNITY_NOT_FOUND');
    await api.post('/api/v1/users', { id: randomUUID(), role: 'distributor', distributorId: mine.distributorId }, distributorKey).expect(403);
    await api.post('/api/v1/users', { id: randomUUID(), role: 'superadmin' }, distributorKey).expect(403);
  });

  test('a distributor lists, reads, changes and deletes only its customers; a customer key manages nobody', async () => {
    const own = randomUUID();
    const foreign = randomUUID();
    await api.post('/api/v1/users', { id: own, role: 'customer', communityId: mine.communityId }, admin).expect(201);
    await api.post('/api/v1/users', { id: foreign, role: 'customer', communityId: theirs.communityId }, admin).expect(201);

    const listed = (await api.get('/api/v1/users', distributorKey).expect(200)).body.data as Array<{ id: string; communityId: string }>;
    expect(listed.map((u) => u.id)).toContain(own);
    expect(listed.map((u) => u.id)).not.toContain(foreign);
    expect(listed.every((u) => u.communityId === mine.communityId)).toBe(true);
    const all = (await api.get('/api/v1/users', admin).expect(200)).body.data as Array<{ id: string }>;
    expect(all.map((u) => u.id)).toEqual(expect.arrayContaining([own, foreign]));

    await api.get(`/api/v1/users/${foreign}`, distributorKey).expect(404);
    await api.patch(`/api/v1/users/${foreign}`, { disabled: true }, distributorKey).expect(404);
    await api.del(`/api/v1/users/${foreign}`, distributorKey).expect(404);
    // Moving its customer into a community it does not run, or promoting it, is refused.
    await api.patch(`/api/v1/users/${own}`, { communityId: theirs.communityId }, distributorKey).expect(404);
    await api.patch(`/api/v1/users/${own}`, { role: 'distributor', distributorId: mine.distributorId }, distributorKey).expect(403);
    const changed = await api.patch(`/api/v1/users/${own}`, { label: 'Front desk', disabled: true }, distributorKey).expect(200);
    expect(changed.body.data).toMatchObject({ label: 'Front desk', disabledAt: expect.any(String), role: 'customer', communityId: mine.communityId });
    await api.del(`/api/v1/users/${own}`, distributorKey).expect(204);
    await api.get(`/api/v1/users/${own}`, admin).expect(404);

    await api.get('/api/v1/users', customerKey).expect(403);
    await api.post('/api/v1/users', { id: randomUUID(), role: 'customer', communityId: mine.communityId }, customerKey).expect(403);
  });

  test('a superadmin changes a role: the ids the old role needed go with it', async () => {
    const id = randomUUID();
    await api.post('/api/v1/users', { id, role: 'customer', communityId: mine.communityId }, admin).expect(201);
    const res = await api.patch(`/api/v1/users/${id}`, { role: 'superadmin' }, admin).expect(200);
    expect(res.body.data).toMatchObject({ role: 'superadmin', communityId: null, distributorId: null });
    await api.patch(`/api/v1/users/${id}`, { role: 'distributor' }, admin).expect(400);
    const entries = await core.db('audit_log').where({ resource_type: 'user', resource_id: id }).orderBy('id');
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['user.created', 'user.updated']);
    expect(entries[1]).toMatchObject({ details: { before: { role: 'customer' }, after: { role: 'superadmin' } } });
  });
});

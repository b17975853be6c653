import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, type ApiClient } from '../../helpers/http';
import { distributorCommunity, keyFor, windowBody, type TestKey } from './tenant-fixtures';

/**
 * Which windows a role may open: a window for a whole community silences every node in it for
 * everyone (the distributor's alerts and webhooks too), so it needs a distributor or superadmin
 * key; a customer key may open windows for single nodes of its community, of at most 7 days.
 */
describe('POST /api/v1/maintenance-windows: what each role may open', () => {
  let core: TestCore;
  let api: ApiClient;
  let world: { distributorId: string; communityId: string; nodeId: string };
  let customer: TestKey;
  let distributor: TestKey;
  let superadmin: TestKey;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    api = apiClient(core);
    world = await distributorCommunity(core);
    customer = await keyFor(core, { role: 'customer', communityId: world.communityId }, 'Resident');
    distributor = await keyFor(core, { role: 'distributor', distributorId: world.distributorId }, 'Water Co');
    superadmin = await keyFor(core, { role: 'superadmin' }, 'Ops');
  });

  afterAll(async () => {
    await core.close();
  });

  const windowsOf = (communityId: string) => core.db('maintenance_windows').where({ community_id: communityId }).pluck('id');

  test.each([
    ['naming its community', () => windowBody({ communityId: world.communityId })],
    ['naming neither node nor community (its community implied)', () => ({ ...windowBody({ communityId: world.communityId }), communityId: undefined })],
  ])('when a customer key opens a window for its whole community %s, then 403 says it needs a distributor or superadmin key and nothing is stored', async (_how, body) => {
    const before = await windowsOf(world.communityId);

    const res = await api.post('/api/v1/maintenance-windows', body(), customer.key).expect(403);

    expect(res.body).toMatchObject({ status: 'error', code: 'FORBIDDEN' });
    expect(res.body.message).toMatch(/whole community .* needs a distributor or superadmin key; a customer key may open windows for single nodes \(give nodeId\)/);
    expect(await windowsOf(world.communityId)).toEqual(before);
  });

  test('when a customer key opens a 30-day window on one node, then 400 says a customer may open at most 7 days', async () => {
    const res = await api.post('/api/v1/maintenance-windows', windowBody({ nodeId: world.nodeId }, 30 * 24), customer.key).expect(400);

    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'body.endsAt', message: expect.stringContaining('at most 7 days, so this one must end by ') }] });
    expect(res.body.message).toContain('Invalid body: body.endsAt: a customer key may open windows of at most 7 days');
  });

  test('when a customer key opens a window of exactly 7 days on one of its nodes, then 201', async () => {
    const res = await api.post('/api/v1/maintenance-windows', windowBody({ nodeId: world.nodeId }, 7 * 24), customer.key).expect(201);

    expect(res.body.data).toMatchObject({ nodeId: world.nodeId, communityId: world.communityId, createdBy: { keyId: customer.id, role: 'customer' }, createdByLabel: expect.stringContaining('Resident') });
  });

  test.each([
    ['distributor', () => distributor],
    ['superadmin', () => superadmin],
  ])('when a %s key opens a 30-day window for the whole community, then 201', async (_role, key) => {
    const res = await api.post('/api/v1/maintenance-windows', windowBody({ communityId: world.communityId }, 30 * 24), key().key).expect(201);

    expect(res.body.data).toMatchObject({ communityId: world.communityId, nodeId: null });
  });
});

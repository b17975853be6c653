import { randomUUID } from 'node:crypto';
import type { LiveAudience } from '../../../src/shared/events/live-events';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { FakeSupabase, type FakeSigningKey } from '../../helpers/fake-supabase';
import { connectLive, issueTicket, refusedUpgrade, startLiveServer, type LiveServer, type LiveTestClient } from './live-test-client';

const PORT = 47403;

const closed = (client: LiveTestClient, timeoutMs: number) =>
  waitFor(() => (client.closeCode() === undefined ? undefined : { code: client.closeCode(), reason: client.closeReason() }), { timeoutMs, what: 'the live socket closed by the server' });

/** The live socket for signed-in users: same ticket, same scope filter, and closed when the user goes. */
describe('live socket: signed-in users', () => {
  let supabase: FakeSupabase;
  let signingKey: FakeSigningKey;
  let core: TestCore;
  let live: LiveServer;
  let admin: string;
  let community: { id: string; audience: LiveAudience };
  let other: { id: string; audience: LiveAudience };
  const clients: LiveTestClient[] = [];

  const newCommunity = async () => {
    const c = await core.repos.communities.create({ slug: `users-${randomUUID().slice(0, 8)}`, name: 'Users', distributorId: null });
    if (c === 'slug_taken') throw new Error('slug collision');
    return { id: c.id, audience: { kind: 'community', communityId: c.id, distributorId: null } as LiveAudience };
  };
  const customerUser = async () => {
    const id = randomUUID();
    await core.repos.users.create({ id, email: null, label: null, role: 'customer', distributorId: null, communityId: community.id });
    return { id, token: await supabase.mint(id, signingKey) };
  };
  const connect = async (token: string, viaTicket = true) => {
    const client = viaTicket ? await connectLive(`${live.url}?ticket=${await issueTicket(live.httpUrl, token)}`) : await connectLive(live.url, { key: token });
    clients.push(client);
    return client;
  };
  const asAdmin = (method: string, path: string, body?: unknown) =>
    fetch(`${live.httpUrl}${path}`, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    supabase = await FakeSupabase.start(PORT);
    signingKey = await supabase.addKey('ES256');
    // The recheck bounds how long a change nobody announced (written straight to the database) keeps a socket open.
    core = createTestCore({ SUPABASE_URL: supabase.url, LIVE_USER_RECHECK_MS: '500' }, 'api');
    live = await startLiveServer(core);
    admin = await issueKey(core, { role: 'superadmin' });
    community = await newCommunity();
    other = await newCommunity();
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await live?.close();
    await core?.close();
    await supabase.stop();
  });

  test('a customer user opens the socket with a ticket (or Bearer token) and gets exactly its community\'s events', async () => {
    const user = await customerUser();
    const [byTicket, byBearer] = [await connect(user.token), await connect(user.token, false)];
    expect(byTicket.welcome.data).toMatchObject({ role: 'customer', communityId: community.id });
    expect(byBearer.welcome.data).toMatchObject({ role: 'customer', communityId: community.id });
    await core.events.publish('TELEMETRY_UPDATE', other.audience, { node_id: 'not-mine', readings_count: 1 });
    await core.events.publish('TELEMETRY_UPDATE', community.audience, { node_id: 'mine', readings_count: 1 });
    for (const c of [byTicket, byBearer]) {
      await c.next('TELEMETRY_UPDATE', (d) => d.node_id === 'mine');
      expect(c.all('TELEMETRY_UPDATE', (d) => d.node_id === 'not-mine')).toEqual([]);
    }
  });

  test('deleting the user through the API closes its sockets at once (4401) and refuses new upgrades', async () => {
    const user = await customerUser();
    const bystander = await customerUser();
    const [a, b, c] = [await connect(user.token), await connect(user.token, false), await connect(bystander.token)];
    const ticket = await issueTicket(live.httpUrl, user.token);
    expect((await asAdmin('DELETE', `/api/v1/users/${user.id}`)).status).toBe(204);
    for (const client of [a, b]) expect(await closed(client, 15_000)).toEqual({ code: 4401, reason: 'user deleted or disabled' });
    expect(c.closeCode()).toBeUndefined();
    expect((await refusedUpgrade(`${live.url}?ticket=${ticket}`)).status).toBe(401);
    expect((await refusedUpgrade(live.url, { Authorization: `Bearer ${user.token}` })).body.code).toBe('USER_NOT_PROVISIONED');
  });

  test('disabling the user closes its sockets (4401); moving it to another community closes them with 4409 so it reconnects with the new scope', async () => {
    const disabled = await customerUser();
    const moved = await customerUser();
    const [d, m] = [await connect(disabled.token), await connect(moved.token)];
    expect((await asAdmin('PATCH', `/api/v1/users/${disabled.id}`, { disabled: true })).status).toBe(200);
    expect((await asAdmin('PATCH', `/api/v1/users/${moved.id}`, { communityId: other.id })).status).toBe(200);
    expect(await closed(d, 15_000)).toEqual({ code: 4401, reason: 'user deleted or disabled' });
    expect(await closed(m, 15_000)).toMatchObject({ code: 4409 });
    const again = await connect(moved.token);
    expect(again.welcome.data).toMatchObject({ communityId: other.id });
  });

  test('a user deleted straight in the database (no announcement) loses its socket at the next recheck, well within 15 s', async () => {
    const user = await customerUser();
    const client = await connect(user.token);
    const started = Date.now();
    await core.db('users').where({ id: user.id }).delete();
    expect(await closed(client, 15_000)).toEqual({ code: 4401, reason: 'user deleted or disabled' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('a user\'s socket ends when its token does: 4408, reconnect with a new ticket', async () => {
    const id = randomUUID();
    await core.repos.users.create({ id, email: null, label: null, role: 'customer', distributorId: null, communityId: community.id });
    // exp 2 s ahead: the socket lasts no longer (at least 1 s, minus the age jitter).
    const token = await supabase.mint(id, signingKey, { claims: { exp: Math.floor(Date.now() / 1000) + 2 } });
    const client = await connect(token);
    expect(await closed(client, 10_000)).toMatchObject({ code: 4408 });
  });
});

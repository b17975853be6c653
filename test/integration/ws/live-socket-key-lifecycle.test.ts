import { randomUUID } from 'node:crypto';
import type { LiveAudience } from '../../../src/shared/events/live-events';
import { createTestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { connectLive, issueTicket, startLiveServer, type LiveTestClient } from './live-test-client';

/** One in-process API (app + live hub sharing one key cache) with the live settings a describe needs. */
async function setUp(env: Record<string, string>) {
  const core = createTestCore(env, 'api');
  const live = await startLiveServer(core);
  const community = await core.repos.communities.create({ slug: `keys-${randomUUID().slice(0, 8)}`, name: 'Keys', distributorId: null });
  if (community === 'slug_taken') throw new Error('slug collision');
  const audience: LiveAudience = { kind: 'community', communityId: community.id, distributorId: null };
  const customer = async (expiresAt?: Date) => {
    const { key, record } = await core.repos.apiKeys.create({ label: 'live customer', role: 'customer', distributorId: null, communityId: community.id, expiresAt });
    return { key, id: record.id };
  };
  return { core, live, audience, customer, admin: await issueKey(core, { role: 'superadmin' }) };
}

const closed = (client: LiveTestClient, timeoutMs: number) =>
  waitFor(() => (client.closeCode() === undefined ? undefined : { code: client.closeCode(), reason: client.closeReason() }), { timeoutMs, what: 'the live socket closed by the server' });

describe('live socket: the key behind it', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    // A recheck every 200 ms instead of 5 min; revocation through this process needs none.
    ctx = await setUp({ LIVE_KEY_RECHECK_MS: '200' });
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await ctx?.live.close();
    await ctx?.core.close();
  });

  const connect = async (key: string, viaTicket = false) => {
    const client = viaTicket ? await connectLive(`${ctx.live.url}?ticket=${await issueTicket(ctx.live.httpUrl, key)}`) : await connectLive(ctx.live.url, { key });
    clients.push(client);
    return client;
  };

  test('when a key is revoked through the API, then its sockets (Bearer and ticket) close with 4401 "api key revoked" and no event reaches them; other keys\' sockets stay open', async () => {
    const victim = await ctx.customer();
    const bystander = await ctx.customer();
    const [byBearer, byTicket, other] = [await connect(victim.key), await connect(victim.key, true), await connect(bystander.key)];

    const res = await fetch(`${ctx.live.httpUrl}/api/v1/api-keys/${victim.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${ctx.admin}` } });
    expect(res.status).toBe(204);

    for (const client of [byBearer, byTicket]) expect(await closed(client, 2_000)).toEqual({ code: 4401, reason: 'api key revoked' });
    await ctx.core.events.publish('TELEMETRY_UPDATE', ctx.audience, { node_id: 'after-revocation', level: 1 });
    await other.next('TELEMETRY_UPDATE', (d) => d.node_id === 'after-revocation');
    expect(other.closeCode()).toBeUndefined();
    expect([...byBearer.messages, ...byTicket.messages].some((m) => m.event === 'TELEMETRY_UPDATE')).toBe(false);
  });

  test('given a revocation nobody announced (written straight to the database), when the recheck runs, then the socket closes with 4401 within LIVE_KEY_RECHECK_MS', async () => {
    const victim = await ctx.customer();
    const client = await connect(victim.key);

    await ctx.core.db('api_keys').where({ id: victim.id }).update({ revoked_at: ctx.core.db.fn.now() });

    expect(await closed(client, 2_000)).toEqual({ code: 4401, reason: 'api key revoked' });
  });

  test('given a key that expires while its socket is open, when the recheck runs after the expiry, then the socket closes with 4402 "api key expired"', async () => {
    const brief = await ctx.customer(new Date(Date.now() + 1_000));
    const client = await connect(brief.key);

    expect(await closed(client, 3_000)).toEqual({ code: 4402, reason: 'api key expired' });
  });
});

describe('live socket: maximum age', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    ctx = await setUp({ LIVE_MAX_AGE_MS: '1000' });
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await ctx?.live.close();
    await ctx?.core.close();
  });

  test('when a socket reaches LIVE_MAX_AGE_MS, then it closes with 4408 asking for a reconnect with a new ticket, which works', async () => {
    const { key } = await ctx.customer();
    const opened = Date.now();
    const client = await connectLive(`${ctx.live.url}?ticket=${await issueTicket(ctx.live.httpUrl, key)}`);
    clients.push(client);

    const result = await closed(client, 3_000);

    expect(result).toEqual({ code: 4408, reason: expect.stringMatching(/maximum connection age.*new ticket/) });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(900); // up to 10% early, never more
    const again = await connectLive(`${ctx.live.url}?ticket=${await issueTicket(ctx.live.httpUrl, key)}`);
    clients.push(again);
    expect(again.welcome.data).toMatchObject({ role: 'customer' });
  });
});

import { randomUUID } from 'node:crypto';
import type { LiveAudience } from '../../../src/shared/events/live-events';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { waitFor } from '../../helpers/wait-for';
import { connectLive, startLiveServer, type LiveServer, type LiveTestClient } from './live-test-client';

/** One in-process API (app + live hub) per describe, with the WS settings that describe needs. */
async function setUp(env: Record<string, string>) {
  const core = createTestCore(env, 'api');
  const live = await startLiveServer(core);
  const community = await core.repos.communities.create({ slug: `live-${randomUUID().slice(0, 8)}`, name: 'Live', distributorId: null });
  if (community === 'slug_taken') throw new Error('slug collision');
  const audience: LiveAudience = { kind: 'community', communityId: community.id, distributorId: null };
  const key = await issueKey(core, { role: 'customer', communityId: community.id });
  return { core, live, audience, key };
}

async function tearDown(clients: LiveTestClient[], live: LiveServer | undefined, core: TestCore | undefined) {
  for (const c of clients.splice(0)) c.close();
  await live?.close();
  await core?.close();
}

describe('live socket: STATUS_UPDATE batching', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    ctx = await setUp({ WS_BATCH_MS: '300' });
  });
  afterAll(() => tearDown(clients, ctx?.live, ctx?.core));

  test('when several status changes arrive within the window, then the client gets one BATCH_STATUS_UPDATE with the latest status per node', async () => {
    const client = await connectLive(ctx.live.url, { key: ctx.key });
    clients.push(client);

    for (const [node, status] of [['n1', 'Offline'], ['n2', 'Online'], ['n1', 'Online'], ['n3', 'Alert']] as const) {
      await ctx.core.events.publish('STATUS_UPDATE', ctx.audience, { node_id: node, status });
    }

    const batch = await client.next('BATCH_STATUS_UPDATE');
    expect(batch.data.updates).toHaveLength(3);
    expect(batch.data.updates).toEqual(
      expect.arrayContaining([
        { event: 'STATUS_UPDATE', data: { node_id: 'n1', status: 'Online' }, at: expect.any(String) },
        { event: 'STATUS_UPDATE', data: { node_id: 'n2', status: 'Online' }, at: expect.any(String) },
        { event: 'STATUS_UPDATE', data: { node_id: 'n3', status: 'Alert' }, at: expect.any(String) },
      ]),
    );
    expect(client.all('STATUS_UPDATE')).toEqual([]); // none went out on its own before the batch
  });

  test('when a single status change arrives in a window, then it is sent as a plain STATUS_UPDATE', async () => {
    const client = await connectLive(ctx.live.url, { key: ctx.key });
    clients.push(client);

    await ctx.core.events.publish('STATUS_UPDATE', ctx.audience, { node_id: 'solo', status: 'Offline' });

    const update = await client.next('STATUS_UPDATE');
    expect(update.data).toEqual({ node_id: 'solo', status: 'Offline' });
    expect(client.all('BATCH_STATUS_UPDATE')).toEqual([]);
  });
});

describe('live socket: slow clients', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    ctx = await setUp({ WS_MAX_BUFFERED_BYTES: '65536' });
  });
  afterAll(() => tearDown(clients, ctx?.live, ctx?.core));

  test('when a client stops reading, then it is disconnected once its backlog passes the limit while a reading client keeps receiving', async () => {
    const slow = await connectLive(ctx.live.url, { key: ctx.key });
    const normal = await connectLive(ctx.live.url, { key: ctx.key });
    clients.push(slow, normal);
    expect(ctx.live.hub.clientCount()).toBe(2);
    slow.ws.pause(); // stops reading its socket: the kernel buffers fill, then the server's

    // One large event per check: the reading client drains each before the next, the slow one cannot.
    const filler = 'x'.repeat(256 * 1024);
    let sent = 0;
    await waitFor(
      async () => {
        await ctx.core.events.publish('TELEMETRY_UPDATE', ctx.audience, { node_id: `bulk-${sent++}`, readings_count: 1, filler });
        return ctx.live.hub.clientCount() === 1;
      },
      { what: 'the slow client dropped', timeoutMs: 40_000 },
    );
    await ctx.core.events.publish('TELEMETRY_UPDATE', ctx.audience, { node_id: 'after-drop', readings_count: 1 });

    expect((await normal.next('TELEMETRY_UPDATE', (d) => d.node_id === 'after-drop')).data.readings_count).toBe(1);
    expect(normal.ws.readyState).toBe(normal.ws.OPEN);
    const drops = ctx.core.logs.records().filter((r) => r.msg === 'live client dropped');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'too slow', maxBufferedBytes: 65536 });
  });
});

describe('live socket: heartbeat', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    ctx = await setUp({ WS_HEARTBEAT_MS: '200' });
  });
  afterAll(() => tearDown(clients, ctx?.live, ctx?.core));

  test('when a client does not answer pings, then it is terminated within a few heartbeats and a client that answers stays', async () => {
    const connectedAt = Date.now();
    const silent = await connectLive(ctx.live.url, { key: ctx.key, autoPong: false });
    const answering = await connectLive(ctx.live.url, { key: ctx.key });
    clients.push(silent, answering);

    const code = await waitFor(() => silent.closeCode(), { what: 'the silent client closed', timeoutMs: 5_000 });
    await ctx.core.events.publish('TELEMETRY_UPDATE', ctx.audience, { node_id: 'after-heartbeat', readings_count: 2 });

    expect(code).toBe(1006); // cut, not closed politely: it was not answering
    expect(Date.now() - connectedAt).toBeLessThan(5 * 200 + 1_000);
    await answering.next('TELEMETRY_UPDATE', (d) => d.node_id === 'after-heartbeat');
    expect(answering.closeCode()).toBeUndefined();
    expect(ctx.core.logs.records().filter((r) => r.msg === 'live client dropped')).toEqual([expect.objectContaining({ reason: 'no pong' })]);
  });
});

describe('live socket: system events', () => {
  let ctx: Awaited<ReturnType<typeof setUp>>;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    ctx = await setUp({ CIRCUIT_PROBE_BASE_MS: '100' });
  });
  afterAll(() => tearDown(clients, ctx?.live, ctx?.core));

  test('when the DB breaker opens and closes, then every client, a customer too, gets SYSTEM_DEGRADED then SYSTEM_RECOVERED', async () => {
    const customer = await connectLive(ctx.live.url, { key: ctx.key });
    clients.push(customer);

    expect(await ctx.core.breaker.forceOpen('ECONNREFUSED')).toBe(true);
    const degraded = await customer.next('SYSTEM_DEGRADED');
    await waitFor(() => ctx.core.breaker.acquireProbe('probe-token', 5_000), { what: 'a probe due' });
    expect(await ctx.core.breaker.probeResult('probe-token', true, 'probe ok')).toBe('closed');
    const recovered = await customer.next('SYSTEM_RECOVERED');

    expect(degraded.data).toEqual({ dependency: 'database', at: expect.any(String), reason: 'ECONNREFUSED' });
    expect(recovered.data).toMatchObject({ dependency: 'database', reason: 'probe ok' });
    expect(Date.parse(recovered.data.at)).toBeGreaterThanOrEqual(Date.parse(degraded.data.at));
  });
});

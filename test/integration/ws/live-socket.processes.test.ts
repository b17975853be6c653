import { randomUUID } from 'node:crypto';
import type { LiveAudience } from '../../../src/shared/events/live-events';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { buildNodeInput } from '../../helpers/factories';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait-for';
import { connectLive, issueTicket, type LiveTestClient } from './live-test-client';

/** Two real API processes (tsx) on one Redis and one Postgres, with clients on each. */
describe('live socket across API processes', () => {
  let core: TestCore;
  const running: RunningProcess[] = [];
  const clients: LiveTestClient[] = [];
  const api: Record<'a' | 'b', { http: string; ws: string }> = { a: { http: '', ws: '' }, b: { http: '', ws: '' } };
  let audienceX: LiveAudience;
  let audienceY: LiveAudience;
  let communityY: string;
  let keys: { admin: string; customerX: string; customerY: string; distributorY: string };

  async function startApi(): Promise<{ http: string; ws: string }> {
    const p = startProcess('api/main.ts', testEnv({ QUEUE_PREFIX: core.prefix, PORT: '0' }));
    running.push(p);
    const { port } = JSON.parse(await p.waitForLine(/api started/)) as { port: number };
    await p.waitForLine(/live events subscribed/);
    return { http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/api/v1/ws` };
  }

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    const suffix = randomUUID().slice(0, 8);
    const distributor = await core.repos.communities.createDistributor(`Dist ${suffix}`);
    if (distributor === 'name_taken') throw new Error('name collision');
    const x = await core.repos.communities.create({ slug: `x-${suffix}`, name: 'X', distributorId: null });
    const y = await core.repos.communities.create({ slug: `y-${suffix}`, name: 'Y', distributorId: distributor.id });
    if (x === 'slug_taken' || y === 'slug_taken') throw new Error('slug collision');
    communityY = y.id;
    audienceX = { kind: 'community', communityId: x.id, distributorId: null };
    audienceY = { kind: 'community', communityId: y.id, distributorId: distributor.id };
    keys = {
      admin: await issueKey(core, { role: 'superadmin' }),
      customerX: await issueKey(core, { role: 'customer', communityId: x.id }),
      customerY: await issueKey(core, { role: 'customer', communityId: y.id }),
      distributorY: await issueKey(core, { role: 'distributor', distributorId: distributor.id }),
    };
    [api.a, api.b] = await Promise.all([startApi(), startApi()]);
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(running.splice(0).map((p) => stopProcess(p)));
    await core.close();
  });

  test('when events of community Y are produced, then they reach its client on process B and never the community X client on process A; superadmin and Y\'s distributor get them too', async () => {
    const onA = {
      customerX: await connectLive(api.a.ws, { key: keys.customerX }),
      admin: await connectLive(api.a.ws, { key: keys.admin }),
      distributorY: await connectLive(api.a.ws, { key: keys.distributorY }),
    };
    // A ticket issued by process A opens a socket on process B: tickets live in the shared Redis.
    const customerYOnB = await connectLive(`${api.b.ws}?ticket=${await issueTicket(api.a.http, keys.customerY)}`);
    clients.push(...Object.values(onA), customerYOnB);

    await core.events.publish('TELEMETRY_UPDATE', audienceY, { node_id: 'y-telemetry', readings_count: 4 });
    const body = { ...buildNodeInput({ category: 'Sump' }), communityId: communityY };
    const created = await fetch(`${api.a.http}/api/v1/nodes`, { method: 'POST', headers: { Authorization: `Bearer ${keys.admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    const nodeId = ((await created.json()) as { data: { id: string } }).data.id;
    // Markers published after Y's events: once a client has its marker, anything earlier has arrived too.
    await core.events.publish('TELEMETRY_UPDATE', audienceX, { node_id: 'x-marker', readings_count: 1 });
    await core.events.publish('TELEMETRY_UPDATE', audienceY, { node_id: 'y-marker', readings_count: 1 });

    const provisioned = await customerYOnB.next('NODE_PROVISIONED');
    expect(provisioned.data).toEqual({ node_id: nodeId, hardware_id: body.nodeKey, category: 'Sump' });
    expect((await customerYOnB.next('TELEMETRY_UPDATE', (d) => d.node_id === 'y-telemetry')).data.readings_count).toBe(4);
    await customerYOnB.next('TELEMETRY_UPDATE', (d) => d.node_id === 'y-marker');
    expect(customerYOnB.all('TELEMETRY_UPDATE', (d) => d.node_id === 'x-marker')).toEqual([]);

    await onA.customerX.next('TELEMETRY_UPDATE', (d) => d.node_id === 'x-marker');
    await onA.admin.next('TELEMETRY_UPDATE', (d) => d.node_id === 'y-marker');
    await onA.distributorY.next('TELEMETRY_UPDATE', (d) => d.node_id === 'y-marker');
    expect(onA.customerX.messages.map((m) => m.event)).toEqual(['WELCOME', 'TELEMETRY_UPDATE']);
    for (const client of [onA.admin, onA.distributorY]) {
      expect(client.all('NODE_PROVISIONED', (d) => d.node_id === nodeId)).toHaveLength(1);
      expect(client.all('TELEMETRY_UPDATE', (d) => d.node_id === 'y-telemetry')).toHaveLength(1);
    }
    expect(onA.admin.all('TELEMETRY_UPDATE', (d) => d.node_id === 'x-marker')).toHaveLength(1);
    expect(onA.distributorY.all('TELEMETRY_UPDATE', (d) => d.node_id === 'x-marker')).toEqual([]);
  });

  test('when an API process shuts down, then its clients are closed with 1001 and it exits 0', async () => {
    const extra = await startApi();
    const proc = running[running.length - 1]!;
    const client = await connectLive(extra.ws, { key: keys.customerX });
    clients.push(client);

    const exitCode = await stopProcess(proc);

    expect(exitCode).toBe(0);
    expect(await waitFor(() => client.closeCode(), { what: 'the client closed' })).toBe(1001);
    expect(proc.output.some((l) => l.includes('"step":"websocket"'))).toBe(true);
  });
});

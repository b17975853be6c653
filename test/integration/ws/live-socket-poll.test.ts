import { randomUUID } from 'node:crypto';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createTestCore, testEnv, type TestCore } from '../../helpers/test-core';
import { issueKey } from '../../helpers/http';
import { buildNodeInput } from '../../helpers/factories';
import { startProcess, stopProcess, type RunningProcess } from '../../helpers/processes';
import { connectLive, startLiveServer, type LiveServer, type LiveTestClient } from './live-test-client';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

/** A real worker process polls the simulator; its live events reach sockets of this process's hub. */
describe('live socket: events from the poll path', () => {
  let sim: Simulator;
  let core: TestCore;
  let live: LiveServer;
  let worker: RunningProcess | undefined;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    const { url } = await sim.listen(0);
    core = createTestCore({ THINGSPEAK_BASE_URL: url, WS_BATCH_MS: '50' }, 'api');
    live = await startLiveServer(core);
    // Only the poll queue: no tick, so the worker polls nothing but what the test enqueues.
    worker = startProcess('workers/main.ts', testEnv({ QUEUE_PREFIX: core.prefix, THINGSPEAK_BASE_URL: url, WORKER_QUEUES: 'poll', POLL_INTERVAL_MS: '3600000' }));
    await worker.waitForLine(/worker started/);
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    if (worker) await stopProcess(worker);
    await live.close();
    await core.close();
    await sim.close();
  });

  async function community(name: string) {
    const c = await core.repos.communities.create({ slug: `${name}-${randomUUID().slice(0, 8)}`, name, distributorId: null });
    if (c === 'slug_taken') throw new Error('slug collision');
    return c;
  }

  test('when a poll stores readings of a node, then its community gets TELEMETRY_UPDATE with the count and STATUS_UPDATE, another community nothing', async () => {
    const home = await community('home');
    const other = await community('other');
    const node = await core.repos.nodes.create(buildNodeInput(), home.id);
    if (node === 'node_key_taken') throw new Error('node key collision');
    const channel = node.channels[0]!;
    sim.createChannel({ id: channel.channelId });
    sim.appendGenerated(channel.channelId, 7, { start: new Date(Date.now() - 60_000), stepMs: 5_000 });
    const homeClient = await connectLive(live.url, { key: await issueKey(core, { role: 'customer', communityId: home.id }) });
    const otherClient = await connectLive(live.url, { key: await issueKey(core, { role: 'customer', communityId: other.id }) });
    clients.push(homeClient, otherClient);

    await core.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });

    const telemetry = await homeClient.next('TELEMETRY_UPDATE', (d) => d.node_id === node.id, 20_000);
    const status = await homeClient.next('STATUS_UPDATE', (d) => d.node_id === node.id);
    expect(telemetry.data).toEqual({ node_id: node.id, readings_count: 7 });
    expect(status.data).toEqual({ node_id: node.id, status: 'Online' });
    await core.events.publish('TELEMETRY_UPDATE', { kind: 'community', communityId: other.id, distributorId: null }, { node_id: 'other-marker', readings_count: 1 });
    await otherClient.next('TELEMETRY_UPDATE', (d) => d.node_id === 'other-marker');
    expect(otherClient.messages.filter((m) => m.data.node_id === node.id)).toEqual([]);
  });
});

import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { updateNode } from '../../../src/shared/nodes/update-node';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createNode } from '../../helpers/factories';
import { alertsOf, levelToDistance, pollAndEvaluate } from '../../helpers/alerts';

type Simulator = ReturnType<typeof createThingSpeakSimulator>;

const MINUTE = 60_000;
const secondsAgo = (ms: number) => Math.floor((Date.now() - ms) / 1000) * 1000;

/**
 * Node status has one writer (src/shared/nodes/node-status.ts): polls, alert changes and
 * maintenance on / off all go through it. Real poll and alert workers against the simulator.
 */
describe('node status: one rule, one writer', () => {
  let sim: Simulator;
  let core: TestCore;
  let workers: RunningWorkers;

  beforeAll(async () => {
    sim = createThingSpeakSimulator();
    const { url } = await sim.listen(0);
    core = createTestCore({ THINGSPEAK_BASE_URL: url, POLL_INTERVAL_MS: '3600000', WORKER_QUEUES: 'poll,alerts', ALERT_SWEEP_MS: '0' });
    workers = await startWorkers(core);
  });

  afterAll(async () => {
    await workers.close();
    await core.close();
    await sim.close();
  });

  const statusOf = async (nodeId: string) => (await core.repos.nodes.get({ role: 'superadmin' }, nodeId))!.status;

  async function tankWithLowRule(severity: 'warning' | 'info') {
    // Offline after 30 minutes of silence, so readings of the last few minutes keep it online.
    const { node, channel } = await createNode(core, { expectedIntervalS: 600 });
    sim.createChannel({ id: channel.channelId });
    await core.repos.alertRules.create(
      { nodeId: node.id, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, clearThreshold: 25, forSeconds: 0, severity, cooldownSeconds: 0, enabled: true },
      node.communityId,
    );
    return { node, channel };
  }

  function levels(channelId: number, start: number, values: number[]): void {
    sim.appendEntries(channelId, values.map((level, i) => ({ createdAt: new Date(start + i * MINUTE), fields: { field1: '27.5', field2: String(levelToDistance(level)) } })));
  }

  test('when a warning alert opens on a node with fresh data, then the node is Alert; when it resolves, then the node is Online again', async () => {
    const { node, channel } = await tankWithLowRule('warning');
    levels(channel.channelId, secondsAgo(6 * MINUTE), [50, 8, 8]);
    await pollAndEvaluate(core, channel.id);
    expect(await alertsOf(core, node.id)).toEqual([expect.objectContaining({ status: 'open', severity: 'warning' })]);
    expect(await statusOf(node.id)).toBe('Alert');

    levels(channel.channelId, secondsAgo(3 * MINUTE), [30, 31]);
    await pollAndEvaluate(core, channel.id);
    expect(await alertsOf(core, node.id)).toEqual([expect.objectContaining({ status: 'resolved' })]);
    expect(await statusOf(node.id)).toBe('Online');
  });

  test('when only an info alert is open, then the node stays Online', async () => {
    const { node, channel } = await tankWithLowRule('info');
    levels(channel.channelId, secondsAgo(5 * MINUTE), [8, 8]);
    await pollAndEvaluate(core, channel.id);
    expect(await alertsOf(core, node.id)).toEqual([expect.objectContaining({ status: 'open', severity: 'info' })]);
    expect(await statusOf(node.id)).toBe('Online');
  });

  test('when an operator puts a node with an open alert in maintenance and takes it out, then it is Maintenance, then Alert again at once (not provisioning)', async () => {
    const { node, channel } = await tankWithLowRule('warning');
    levels(channel.channelId, secondsAgo(5 * MINUTE), [8, 8]);
    await pollAndEvaluate(core, channel.id);
    expect(await statusOf(node.id)).toBe('Alert');
    const deps = { db: core.db, nodes: core.repos.nodes, nodeStatus: core.repos.nodeStatus, communities: core.repos.communities, events: core.events };

    const inMaintenance = await updateNode(deps, { scope: { role: 'superadmin' }, id: node.id, change: { maintenance: true } });
    expect(inMaintenance?.status).toBe('Maintenance');
    const out = await updateNode(deps, { scope: { role: 'superadmin' }, id: node.id, change: { maintenance: false } });
    expect(out?.status).toBe('Alert');
  });
});

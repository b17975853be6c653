import { randomUUID } from 'node:crypto';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import { waitFor } from '../../helpers/wait-for';
import { insertReadings, levelToDistance } from '../../helpers/alerts';
import { connectLive, startLiveServer, type LiveServer, type LiveTestClient } from './live-test-client';

/** Alert and status events from the alerts worker and the API reach the node's community, and only it. */
describe('live socket: alert and maintenance events', () => {
  let api: TestCore;
  let worker: TestCore;
  let workers: RunningWorkers;
  let live: LiveServer;
  const clients: LiveTestClient[] = [];

  beforeAll(async () => {
    api = createTestCore({}, 'api');
    worker = createTestCore({ QUEUE_PREFIX: api.prefix, WORKER_QUEUES: 'alerts', ALERT_SWEEP_MS: '0' });
    workers = await startWorkers(worker);
    live = await startLiveServer(api);
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await live.close();
    await workers.close();
    await worker.close();
    await api.close();
  });

  test('when a rule opens and the system resolves an alert, and a node enters maintenance, then its community sees ALERT_OPENED, ALERT_RESOLVED and STATUS_UPDATE; another community sees none', async () => {
    const admin = apiClient(api, await issueKey(api, { role: 'superadmin' }));
    const mine = (await admin.post('/api/v1/communities', { slug: `la-${randomUUID().slice(0, 8)}`, name: 'Mine' }).expect(201)).body.data.id as string;
    const other = (await admin.post('/api/v1/communities', { slug: `lb-${randomUUID().slice(0, 8)}`, name: 'Other' }).expect(201)).body.data.id as string;
    const node = (
      await admin
        .post('/api/v1/nodes', {
          nodeKey: `la-${randomUUID().slice(0, 8)}`,
          label: 'Bakul OHT',
          category: 'OHT',
          analyticsType: 'EvaraTank',
          communityId: mine,
          config: { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } },
          channels: [{ channelId: nextChannelId(), fieldMapping: { field2: 'distance_cm' } }],
        })
        .expect(201)
    ).body.data as { id: string; channels: Array<{ id: string }> };
    await admin.post('/api/v1/alert-rules', { nodeId: node.id, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, severity: 'critical' }).expect(201);

    const mineClient = await connectLive(live.url, { key: await issueKey(api, { role: 'customer', communityId: mine }) });
    const otherClient = await connectLive(live.url, { key: await issueKey(api, { role: 'customer', communityId: other }) });
    clients.push(mineClient, otherClient);

    const now = Date.now();
    const range = await insertReadings(api, { nodeId: node.id, nodeChannelId: node.channels[0]!.id }, [
      { at: now - 120_000, fields: { field2: levelToDistance(5) } },
      { at: now - 60_000, fields: { field2: levelToDistance(60) } },
    ]);
    const job = await api.queues.alerts.add('evaluate-node', { nodeId: node.id, nodeChannelId: node.channels[0]!.id, epoch: 0, fromEntryId: range.from, toEntryId: range.to });
    await waitFor(async () => (await api.queues.alerts.getJobState(job.id!)) === 'completed', { what: 'evaluation' });

    const opened = await mineClient.next('ALERT_OPENED', (d) => d.node_id === node.id);
    expect(opened.data).toMatchObject({ severity: 'critical', title: 'Tank low', status: 'open', community_id: mine });
    const resolved = await mineClient.next('ALERT_RESOLVED', (d) => d.alert_id === opened.data.alert_id);
    expect(resolved.data).toMatchObject({ status: 'resolved', resolved_by: 'system' });

    await admin.patch(`/api/v1/nodes/${node.id}`, { maintenance: true }).expect(200);
    await mineClient.next('STATUS_UPDATE', (d) => d.node_id === node.id && d.status === 'Maintenance');

    // The other community's client got none of it (it would have had it by now: same hub, same order).
    await api.events.publish('TELEMETRY_UPDATE', { kind: 'community', communityId: other, distributorId: null }, { node_id: 'marker', readings_count: 1 });
    await otherClient.next('TELEMETRY_UPDATE', (d) => d.node_id === 'marker');
    expect(otherClient.messages.filter((m) => m.event !== 'WELCOME' && m.data.node_id !== 'marker')).toEqual([]);
  });
  test('when an open alert is acknowledged through the API, then its community sees ALERT_ACKNOWLEDGED with who acknowledged it; another community sees none', async () => {
    const admin = apiClient(api, await issueKey(api, { role: 'superadmin' }));
    const mine = (await admin.post('/api/v1/communities', { slug: `lc-${randomUUID().slice(0, 8)}`, name: 'Mine' }).expect(201)).body.data.id as string;
    const other = (await admin.post('/api/v1/communities', { slug: `ld-${randomUUID().slice(0, 8)}`, name: 'Other' }).expect(201)).body.data.id as string;
    const node = (
      await admin
        .post('/api/v1/nodes', {
          nodeKey: `lc-${randomUUID().slice(0, 8)}`,
          label: 'Ack OHT',
          category: 'OHT',
          analyticsType: 'EvaraTank',
          communityId: mine,
          config: { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } },
          channels: [{ channelId: nextChannelId(), fieldMapping: { field2: 'distance_cm' } }],
        })
        .expect(201)
    ).body.data as { id: string; channels: Array<{ id: string }> };
    await admin.post('/api/v1/alert-rules', { nodeId: node.id, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, severity: 'critical' }).expect(201);

    const customerKey = await issueKey(api, { role: 'customer', communityId: mine }, 'ack customer');
    const mineClient = await connectLive(live.url, { key: customerKey });
    const otherClient = await connectLive(live.url, { key: await issueKey(api, { role: 'customer', communityId: other }) });
    clients.push(mineClient, otherClient);

    const range = await insertReadings(api, { nodeId: node.id, nodeChannelId: node.channels[0]!.id }, [{ at: Date.now() - 60_000, fields: { field2: levelToDistance(5) } }]);
    await api.queues.alerts.add('evaluate-node', { nodeId: node.id, nodeChannelId: node.channels[0]!.id, epoch: 0, fromEntryId: range.from, toEntryId: range.to });
    const opened = await mineClient.next('ALERT_OPENED', (d) => d.node_id === node.id);

    const acked = (await apiClient(api, customerKey).post(`/api/v1/alerts/${opened.data.alert_id}/acknowledge`, {}).expect(200)).body.data;
    const event = await mineClient.next('ALERT_ACKNOWLEDGED', (d) => d.alert_id === opened.data.alert_id);
    expect(event.data).toMatchObject({ status: 'acknowledged', acknowledged_by: acked.acknowledgedBy ?? expect.any(String), node_id: node.id, community_id: mine, title: 'Tank low' });

    await api.events.publish('TELEMETRY_UPDATE', { kind: 'community', communityId: other, distributorId: null }, { node_id: 'marker-ack', readings_count: 1 });
    await otherClient.next('TELEMETRY_UPDATE', (d) => d.node_id === 'marker-ack');
    expect(otherClient.messages.filter((m) => m.event !== 'WELCOME' && m.data.node_id !== 'marker-ack')).toEqual([]);
  });
});

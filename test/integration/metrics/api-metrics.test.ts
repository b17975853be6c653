import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../../src/api/app';
import { createLiveHub, LIVE_PATH, type LiveHub } from '../../../src/api/ws/live-hub';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { createNode } from '../../helpers/factories';
import { sampleValue, samplesOf } from '../../helpers/prometheus-text';
import { waitFor } from '../../helpers/wait-for';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { itRedisUrl } from '../../setup/test-env';
import { waitForRedis } from '../../../src/shared/redis';
import { connectLive } from '../ws/live-test-client';

const METRICS_TOKEN = `metrics-${randomUUID()}-${randomUUID()}`;

describe('API /metrics', () => {
  let core: TestCore;
  let api: ApiClient;
  let adminKey: string;

  beforeAll(async () => {
    core = createTestCore({ METRICS_TOKEN }, 'api');
    adminKey = await issueKey(core, { role: 'superadmin' });
    api = apiClient(core, adminKey);
  });

  afterAll(async () => {
    await core.close();
  });

  const scrape = async (client: ApiClient = api) => (await client.get('/metrics', METRICS_TOKEN).expect(200)).text;

  describe('authentication', () => {
    test('when no credential is sent, then 401 with the JSON error body and no metrics', async () => {
      const res = await api.get('/metrics', '').expect(401);
      expect(res.body).toEqual({ status: 'error', code: 'UNAUTHORIZED', message: expect.stringContaining('METRICS_TOKEN'), requestId: expect.any(String) });
      expect(res.text).not.toContain('http_requests_total');
    });

    test('when a wrong token is sent, then 401', async () => {
      const res = await api.get('/metrics', `${METRICS_TOKEN}x`).expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    });

    test('when a customer API key is sent, then 403: only superadmins and the metrics token read metrics', async () => {
      const community = await core.repos.communities.findBySlug('default');
      const customerKey = await issueKey(core, { role: 'customer', communityId: community!.id });
      const res = await api.get('/metrics', customerKey).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    test('when METRICS_TOKEN is sent, then 200 in the Prometheus text format', async () => {
      const res = await api.get('/metrics', METRICS_TOKEN).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(sampleValue(res.text, 'nodejs_eventloop_lag_seconds', { service: 'api' })).toBeGreaterThanOrEqual(0);
    });

    test('when a superadmin API key is sent, then 200', async () => {
      const res = await api.get('/metrics', adminKey).expect(200);
      expect(res.text).toContain('# TYPE http_requests_total counter');
    });

    test('given no METRICS_TOKEN configured, when a superadmin key is sent, then 200, and the empty token never matches', async () => {
      const plain = createTestCore({}, 'api');
      try {
        const key = await issueKey(plain, { role: 'superadmin' });
        const client = apiClient(plain);
        await client.get('/metrics', key).expect(200);
        await client.get('/metrics', 'Bearer').expect(401);
      } finally {
        await plain.close();
      }
    });
  });

  test('given requests to a node by id, when scraped, then they are counted under the route pattern with their status, never the raw id', async () => {
    const client = apiClient(core, adminKey);
    const { node } = await createNode(core);
    const missing = randomUUID();
    await client.get(`/api/v1/nodes/${node.id}`).expect(200);
    await client.get(`/api/v1/nodes/${node.id}`).expect(200);
    await client.get(`/api/v1/nodes/${missing}`).expect(404);
    await client.get('/api/v1/no-such-thing').expect(404);
    await client.get('/api/v1/nodes', '').expect(401);

    const text = await scrape(client);

    expect(sampleValue(text, 'http_requests_total', { method: 'GET', route: '/api/v1/nodes/:id', status: '200' })).toBe(2);
    expect(sampleValue(text, 'http_requests_total', { method: 'GET', route: '/api/v1/nodes/:id', status: '404' })).toBe(1);
    expect(sampleValue(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/nodes/:id', status: '200' })).toBe(2);
    // Refused before routing (no key) and unknown paths share one label.
    expect(sampleValue(text, 'http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(sampleValue(text, 'http_requests_total', { route: 'unmatched', status: '401' })).toBe(1);
    expect(text).not.toContain(node.id);
    expect(text).not.toContain(missing);
    expect(samplesOf(text, 'http_requests_total').every((s) => s.labels.service === 'api' && s.labels.version === core.config.version)).toBe(true);
  });

  test('when scraped, then the database pool of this process is reported with its maximum', async () => {
    await core.db.raw('select 1');

    const text = await scrape();

    expect(sampleValue(text, 'evara_db_pool_max_connections')).toBe(core.config.db.poolMax);
    expect(sampleValue(text, 'evara_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'evara_db_pool_connections', { state: 'in_use' })).toBe(0);
    expect(sampleValue(text, 'evara_db_pool_pending_acquires')).toBe(0);
    expect(sampleValue(text, 'evara_db_pool_utilization_ratio')).toBe(0);
  });

  test('given a poll waiting in the queue and a paused queue, when scraped, then the queue depths and pause show', async () => {
    const queues = createTestCore({ METRICS_TOKEN }, 'api');
    try {
      const { channel } = await createNode(queues);
      await queues.producers.enqueuePoll({ nodeChannelId: channel.id, reason: 'on-demand' });
      await queues.queues.maintenance.pause();

      const text = await scrape(apiClient(queues));

      expect(sampleValue(text, 'evara_queue_jobs', { queue: 'poll', state: 'waiting' })).toBe(1);
      expect(sampleValue(text, 'evara_queue_jobs', { queue: 'poll', state: 'active' })).toBe(0);
      expect(sampleValue(text, 'evara_queue_jobs', { queue: 'alerts', state: 'failed' })).toBe(0);
      expect(sampleValue(text, 'evara_queue_paused', { queue: 'maintenance' })).toBe(1);
      expect(sampleValue(text, 'evara_queue_paused', { queue: 'poll' })).toBe(0);
      expect(sampleValue(text, 'evara_metrics_source_up', { source: 'queues' })).toBe(1);
    } finally {
      await queues.close();
    }
  });

  test('given the breaker opens, when scraped, then the state is 1 and one transition to open is counted', async () => {
    const breakerCore = createTestCore({ METRICS_TOKEN }, 'api');
    try {
      // The API's Redis connection fails commands while it connects: wait as main.ts does.
      await waitForRedis(breakerCore.redis, 5_000);
      const client = apiClient(breakerCore);
      const before = await scrape(client);
      expect(sampleValue(before, 'evara_db_breaker_open')).toBe(0);
      expect(sampleValue(before, 'evara_db_breaker_transitions_total', { to: 'open' })).toBe(0);

      await breakerCore.breaker.forceOpen('test: metrics');

      const after = await scrape(client);
      expect(sampleValue(after, 'evara_db_breaker_open')).toBe(1);
      expect(sampleValue(after, 'evara_db_breaker_transitions_total', { to: 'open' })).toBe(1);
      expect(sampleValue(after, 'evara_db_breaker_transitions_total', { to: 'closed' })).toBe(0);
      // Counted once, not again on the next scrape.
      expect(sampleValue(await scrape(client), 'evara_db_breaker_transitions_total', { to: 'open' })).toBe(1);
    } finally {
      await breakerCore.close();
    }
  });

  test('given Redis accepts connections but never answers, when scraped, then the scrape still answers promptly without queue or breaker values', async () => {
    const redis = new URL(itRedisUrl());
    const hungRedis = createTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    hungRedis.blackhole();
    const port = await hungRedis.start();
    const offline = createTestCore({ METRICS_TOKEN, REDIS_URL: `redis://127.0.0.1:${port}` }, 'api');
    try {
      const startedAt = Date.now();
      const res = await request(createApp(offline)).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);

      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect(sampleValue(res.text, 'evara_metrics_source_up', { source: 'queues' })).toBe(0);
      expect(sampleValue(res.text, 'evara_metrics_source_up', { source: 'breaker' })).toBe(0);
      expect(samplesOf(res.text, 'evara_queue_jobs')).toEqual([]);
      expect(samplesOf(res.text, 'evara_db_breaker_open')).toEqual([]);
      expect(sampleValue(res.text, 'evara_db_pool_max_connections')).toBe(offline.config.db.poolMax);
    } finally {
      // Fails the commands still waiting on the silent Redis, so closing does not wait on them.
      offline.redis.disconnect();
      await offline.close();
      await hungRedis.cut();
    }
  });

  describe('live WebSocket clients', () => {
    let server: http.Server;
    let hub: LiveHub;
    let baseUrl: string;

    beforeAll(async () => {
      // As main.ts wires it: the hub exists only once the server listens, so the app gets a getter.
      server = http.createServer(createApp(core, { ready: true }, { wsClients: () => hub?.clientCount() ?? 0 }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      hub = createLiveHub(server, core);
      await hub.subscribed;
      baseUrl = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const wsClients = async () => {
      const res = await fetch(`http://${baseUrl}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
      return sampleValue(await res.text(), 'evara_ws_clients');
    };

    test('given two connected clients, when scraped, then the gauge shows 2, and 1 after one leaves', async () => {
      expect(await wsClients()).toBe(0);
      const a = await connectLive(`ws://${baseUrl}${LIVE_PATH}`, { key: adminKey });
      const b = await connectLive(`ws://${baseUrl}${LIVE_PATH}`, { key: adminKey });
      try {
        expect(await wsClients()).toBe(2);
        a.close();
        await waitFor(async () => (await wsClients()) === 1, { what: 'the gauge to drop to 1' });
      } finally {
        a.close();
        b.close();
      }
    });
  });
});

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { startWorkerMetrics } from '../../../src/workers/metrics/worker-metrics';
import type { MetricsServer } from '../../../src/workers/metrics-server';
import { createTestCore, type TestCore } from '../../helpers/test-core';

/** An address of this machine that is not loopback: what another machine on the network would connect to. */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
const itWithOutsideAddress = outsideAddress ? test : test.skip;

const METRICS_TOKEN = `metrics-${randomUUID()}-${randomUUID()}`;

async function scrape(host: string, port: number, token?: string): Promise<number | string> {
  try {
    const res = await fetch(`http://${host}:${port}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return res.status;
  } catch (err) {
    return ((err as Error & { cause?: { code?: string } }).cause?.code ?? 'failed') as string;
  }
}

/** Where a worker's /metrics listens: loopback without METRICS_TOKEN, every interface (token required) with it. */
describe('worker metrics bind address', () => {
  const cores: TestCore[] = [];
  const servers: MetricsServer[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(cores.map((c) => c.close()));
  });

  async function start(overrides: Record<string, string>): Promise<{ core: TestCore; port: number }> {
    const core = createTestCore(overrides);
    cores.push(core);
    const server = await startWorkerMetrics(core, new Map());
    if (!server) throw new Error('metrics server did not start');
    servers.push(server);
    return { core, port: server.port };
  }

  itWithOutsideAddress('given no METRICS_TOKEN and no WORKER_METRICS_HOST, when another machine connects, then nothing listens there; this machine can scrape', async () => {
    const { core, port } = await start({});

    expect(core.config.metrics.workerHost).toBe('127.0.0.1');
    expect(core.logs.records().find((r) => r.msg === 'metrics listening')).toMatchObject({ host: '127.0.0.1', tokenRequired: false });
    expect(await scrape('127.0.0.1', port)).toBe(200);
    expect(await scrape(outsideAddress!, port)).toBe('ECONNREFUSED');
  });

  itWithOutsideAddress('given METRICS_TOKEN, when another machine connects, then it listens on every interface and asks for the token', async () => {
    const { core, port } = await start({ METRICS_TOKEN });

    expect(core.config.metrics.workerHost).toBe('0.0.0.0');
    expect(await scrape(outsideAddress!, port)).toBe(401);
    expect(await scrape(outsideAddress!, port, METRICS_TOKEN)).toBe(200);
  });
});

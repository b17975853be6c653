import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startWorkerMetrics } from '../../../src/workers/metrics/worker-metrics';
import type { MetricsServer } from '../../../src/workers/metrics-server';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey } from '../../helpers/http';

const METRICS_TOKEN = `metrics-${randomUUID()}-${randomUUID()}`;

/** promtool from PATH (apt-get install prometheus), or undefined. */
const PROMTOOL = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'promtool')).find((p) => existsSync(p));

/** `promtool check metrics` over one scrape: its exit code and every problem it printed. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL!, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: output.trim() }));
    child.stdin.end(text);
  });
}

/** Every `# TYPE name type` of a scrape. */
const typesOf = (text: string) => [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));

/** The metric names of the API and of a worker follow Prometheus conventions: `_total` is for counters, and every counter has it. */
describe('metric names', () => {
  let api: TestCore;
  let worker: TestCore;
  let server: MetricsServer | undefined;
  const scrapes: Record<string, string> = {};

  beforeAll(async () => {
    api = createTestCore({ METRICS_TOKEN }, 'api');
    const client = apiClient(api, await issueKey(api, { role: 'superadmin' }));
    await client.get('/health', '').expect(200);
    scrapes.api = (await client.get('/metrics', METRICS_TOKEN).expect(200)).text;
    worker = createTestCore({ METRICS_TOKEN });
    server = await startWorkerMetrics(worker, new Map());
    if (!server) throw new Error('worker metrics server did not start');
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    scrapes.worker = await res.text();
  });

  afterAll(async () => {
    await server?.close();
    await Promise.all([api?.close(), worker?.close()]);
  });

  test.each(['api', 'worker'])('given a %s scrape, then no gauge ends in _total and every counter does', (source) => {
    const types = typesOf(scrapes[source]!);
    expect(types.length).toBeGreaterThan(10);
    expect(types.filter((t) => t.type === 'gauge' && t.name.endsWith('_total')).map((t) => t.name)).toEqual([]);
    expect(types.filter((t) => t.type === 'counter' && !t.name.endsWith('_total')).map((t) => t.name)).toEqual([]);
  });

  test.each(['api', 'worker'])('given a %s scrape, when checked by promtool, then it reports no problems', async (source) => {
    if (!PROMTOOL) {
      console.warn('SKIPPED promtool check metrics: promtool is not on PATH (apt-get install prometheus)');
      return;
    }
    const result = await promtoolCheck(scrapes[source]!);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

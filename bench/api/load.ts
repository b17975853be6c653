/**
 * The load generator, in its own process so its CPU is not the bench's (simulator) nor the API's:
 * `node --import tsx bench/api/load.ts <config.json> [result.json]`. Prints one `LOAD_RESULT {json}`
 * line (and writes the JSON to result.json when given).
 *
 * - `rate`: autocannon at a fixed overall rate over `connections` keep-alive connections; each
 *   request's route is drawn by weight (setupRequest), and the response event attributes the
 *   latency to the route group of the request in flight on that connection (pipelining 1).
 * - `sequential`: one request at a time on one keep-alive connection (the unloaded latency).
 */
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';

export type RouteKind = 'list' | 'node' | 'readings' | 'summary' | 'floor';

export interface RouteGroup {
  name: string;
  kind: RouteKind;
  weight: number;
}

export interface LoadConfig {
  mode: 'rate' | 'sequential';
  url: string;
  headers: Record<string, string>;
  nodeIds: string[];
  /** Pages of `limit=50` the node list has (offset paging). */
  listPages: number;
  rate: number;
  connections: number;
  seconds: number;
  groups: RouteGroup[];
  /** sequential mode: how many requests of each group, one after the other. */
  counts?: Record<string, number>;
}

export interface GroupStats {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  statuses: Record<string, number>;
}

export interface LoadResult {
  mode: 'rate' | 'sequential';
  seconds: number;
  total: GroupStats & { errors: number; timeouts: number; targetRate: number; connections: number };
  groups: Record<string, GroupStats>;
}

const random = (n: number) => Math.floor(Math.random() * n);

export function pathFor(kind: RouteKind, cfg: Pick<LoadConfig, 'nodeIds' | 'listPages'>): string {
  const id = () => cfg.nodeIds[random(cfg.nodeIds.length)]!;
  switch (kind) {
    case 'list':
      return `/api/v1/nodes?limit=50&offset=${random(cfg.listPages) * 50}`;
    case 'node':
      return `/api/v1/nodes/${id()}`;
    case 'readings':
      return `/api/v1/nodes/${id()}/readings?limit=50`;
    case 'summary':
      return '/api/v1/alerts/summary';
    case 'floor':
      return '/';
  }
}

function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

class Recorder {
  private readonly latencies = new Map<string, number[]>();
  private readonly statuses = new Map<string, Record<string, number>>();

  record(group: string, status: number, ms: number): void {
    let l = this.latencies.get(group);
    if (!l) this.latencies.set(group, (l = []));
    l.push(ms);
    let s = this.statuses.get(group);
    if (!s) this.statuses.set(group, (s = {}));
    s[String(status)] = (s[String(status)] ?? 0) + 1;
  }

  stats(seconds: number): { total: GroupStats; groups: Record<string, GroupStats> } {
    const of = (values: number[], statuses: Record<string, number>): GroupStats => {
      const sorted = [...values].sort((a, b) => a - b);
      let non2xx = 0;
      for (const [code, n] of Object.entries(statuses)) if (!code.startsWith('2')) non2xx += n;
      return { requests: sorted.length, reqPerSec: sorted.length / seconds, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, non2xx, statuses };
    };
    const groups: Record<string, GroupStats> = {};
    const all: number[] = [];
    const allStatuses: Record<string, number> = {};
    for (const [name, values] of this.latencies) {
      const statuses = this.statuses.get(name) ?? {};
      groups[name] = of(values, statuses);
      all.push(...values);
      for (const [code, n] of Object.entries(statuses)) allStatuses[code] = (allStatuses[code] ?? 0) + n;
    }
    return { total: of(all, allStatuses), groups };
  }
}

function pickerOf(groups: readonly RouteGroup[]): () => RouteGroup {
  const sum = groups.reduce((s, g) => s + g.weight, 0);
  return () => {
    let r = Math.random() * sum;
    for (const g of groups) {
      r -= g.weight;
      if (r < 0) return g;
    }
    return groups[groups.length - 1]!;
  };
}

interface ClientWithContext {
  requestIterator?: { context?: { group?: string } };
}

async function runRate(cfg: LoadConfig): Promise<LoadResult> {
  const pick = pickerOf(cfg.groups);
  const recorder = new Recorder();
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: cfg.url,
        connections: cfg.connections,
        overallRate: cfg.rate,
        duration: cfg.seconds,
        headers: cfg.headers,
        timeout: 10,
        requests: [
          {
            method: 'GET',
            setupRequest: (req, context) => {
              const g = pick();
              (context as { group?: string }).group = g.name;
              return { ...req, path: pathFor(g.kind, cfg) };
            },
          },
        ],
      },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
    instance.on('response', (client, statusCode, _bytes, responseTime) => {
      const group = (client as unknown as ClientWithContext).requestIterator?.context?.group ?? 'unknown';
      recorder.record(group, statusCode, responseTime);
    });
  });
  const seconds = result.duration > 0 ? result.duration : (performance.now() - started) / 1000;
  const { total, groups } = recorder.stats(seconds);
  return {
    mode: 'rate',
    seconds,
    total: { ...total, errors: result.errors, timeouts: result.timeouts, targetRate: cfg.rate, connections: cfg.connections },
    groups,
  };
}

async function runSequential(cfg: LoadConfig): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(cfg.url);
  const recorder = new Recorder();
  let errors = 0;
  const once = (path: string) =>
    new Promise<{ status: number; ms: number }>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.get({ host: target.hostname, port: target.port, path, agent, headers: cfg.headers, timeout: 10_000 }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });
  const started = performance.now();
  for (const g of cfg.groups) {
    const n = cfg.counts?.[g.name] ?? 0;
    for (let i = 0; i < n; i += 1) {
      try {
        const { status, ms } = await once(pathFor(g.kind, cfg));
        recorder.record(g.name, status, ms);
      } catch {
        errors += 1;
      }
    }
  }
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  const { total, groups } = recorder.stats(seconds);
  return { mode: 'sequential', seconds, total: { ...total, errors, timeouts: 0, targetRate: 0, connections: 1 }, groups };
}

async function main(): Promise<void> {
  const [file, outFile] = process.argv.slice(2);
  if (!file) throw new Error('usage: load.ts <config.json> [result.json]');
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as LoadConfig;
  const result = cfg.mode === 'rate' ? await runRate(cfg) : await runSequential(cfg);
  const json = JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
  if (outFile) writeFileSync(outFile, json);
  process.stdout.write(`LOAD_RESULT ${json}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`load failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * The load generator, in its own process so its CPU is not the bench's (simulator) nor the API's:
 * `node --import tsx bench/api/load.ts <config.json> [result.json]`. Prints one `LOAD_RESULT {json}`
 * line (and writes the JSON to result.json when given).
 *
 * - `rate`: autocannon at a fixed overall rate over `connections` keep-alive connections; each
 *   request's route is drawn by weight (setupRequest), and the response event attributes the
 *   latency to the route group of the request in flight on that connection (pipelining 1).
 * - `paced`: see paced-load.ts.
 * - `sequential`: one request at a time on one keep-alive connection (the unloaded latency).
 */
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { pathFor, pickerOf, Recorder, type LoadConfig, type LoadResult } from './load-mix';
import { runPaced } from './paced-load';

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
  const result = cfg.mode === 'rate' ? await runRate(cfg) : cfg.mode === 'paced' ? await runPaced(cfg) : await runSequential(cfg);
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

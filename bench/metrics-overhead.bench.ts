/**
 * HTTP metrics overhead: `npx tsx bench/metrics-overhead.bench.ts` (not part of npm test; no
 * database or Redis). Serves the same parameterised route from two Express apps on loopback, one
 * with the http metrics middleware and one without, drives each with BENCH_CONCURRENCY (32)
 * keep-alive clients for BENCH_SECONDS (3) in BENCH_ROUNDS (6) alternating rounds, and prints
 * requests/s of each round and the median ratio (with / without). The load generator runs in the
 * same process, so the ratio overstates the middleware's share of a real request's cost.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router, type Express } from 'express';
import { Registry } from 'prom-client';
import { httpMetrics } from '../src/api/metrics/http-metrics';

const out = (line = '') => process.stdout.write(`${line}\n`);

function buildApp(withMetrics: boolean): Express {
  const app = express();
  if (withMetrics) app.use(httpMetrics(new Registry()));
  const v1 = Router();
  v1.get('/nodes/:id', (req, res) => {
    res.json({ id: req.params.id, level: 42 });
  });
  app.use('/api/v1', v1);
  return app;
}

async function listen(app: Express): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function get(agent: http.Agent, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
      .on('error', reject);
  });
}

/** Requests per second over `seconds`, with `concurrency` clients each sending one request at a time. */
async function drive(port: number, concurrency: number, seconds: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const client = async (n: number) => {
    for (let i = 0; Date.now() < deadline; i++) {
      await get(agent, port, `/api/v1/nodes/${n}-${i}`);
      done += 1;
    }
  };
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: concurrency }, (_, n) => client(n)));
  agent.destroy();
  return done / ((Date.now() - startedAt) / 1000);
}

async function main(): Promise<void> {
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
  const plain = await listen(buildApp(false));
  const measured = await listen(buildApp(true));
  try {
    await drive(plain.port, concurrency, 1); // warm-up (JIT) for both
    await drive(measured.port, concurrency, 1);
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which app goes first, so a drift in machine load does not favour one.
      const first = r % 2 === 0 ? plain : measured;
      const second = first === plain ? measured : plain;
      const a = await drive(first.port, concurrency, seconds);
      const b = await drive(second.port, concurrency, seconds);
      const [without, withMetrics] = first === plain ? [a, b] : [b, a];
      ratios.push(withMetrics / without);
      out(`round ${r + 1}: without ${without.toFixed(0)} req/s, with ${withMetrics.toFixed(0)} req/s, ratio ${(withMetrics / without).toFixed(3)}`);
    }
    const sorted = [...ratios].sort((x, y) => x - y);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    out(`metrics overhead (${concurrency} keep-alive clients, ${rounds} rounds of ${seconds} s): median ratio with / without = ${median.toFixed(3)}`);
  } finally {
    await plain.close();
    await measured.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

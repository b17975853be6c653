import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/logger';
import { bearerToken, isMetricsToken } from '../shared/metrics/metrics-token';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  registry: Registry;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** When set, scrapes must send "Authorization: Bearer <token>". */
  token?: string;
  log: Logger;
}

function reply(res: http.ServerResponse, status: number, body: Record<string, string>): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ status: 'error', ...body }));
}

/**
 * The worker's GET /metrics on its own port (WORKER_METRICS_PORT). A worker has no public port
 * (Render background workers are reachable only on the private network), so this one is internal;
 * with METRICS_TOKEN set it asks for the token as well. Anything else is a 404. Where it binds is
 * config's decision (metrics/worker-metrics-bind.ts): loopback unless a token guards it.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      reply(res, 404, { code: 'ROUTE_NOT_FOUND', message: 'Only GET /metrics is served on this port' });
      return;
    }
    if (opts.token && !isMetricsToken(bearerToken(req.headers.authorization) ?? '', opts.token)) {
      reply(res, 401, { code: 'UNAUTHORIZED', message: 'Reading metrics needs "Authorization: Bearer <METRICS_TOKEN>"' });
      return;
    }
    opts.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': opts.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(text);
      },
      (err: unknown) => {
        opts.log.warn({ err }, 'metrics scrape failed');
        reply(res, 500, { code: 'INTERNAL_ERROR', message: 'The metrics could not be collected' });
      },
    );
  });
  // Scrapers keep connections alive; they must not hold shutdown up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.log.warn({ err }, 'metrics server error'));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { isLoopbackHost } from '../loopback-host';

export interface WorkerMetricsBind {
  host: string;
  problem?: string;
  warning?: string;
}

/**
 * Where a worker's /metrics listens. Without METRICS_TOKEN anyone who reaches the port reads it,
 * so it stays on loopback unless WORKER_METRICS_HOST says otherwise; production refuses an open,
 * tokenless port outright.
 */
export function resolveWorkerMetricsHost(opts: { host?: string; token?: string; production: boolean }): WorkerMetricsBind {
  const host = opts.host ?? (opts.token ? '0.0.0.0' : '127.0.0.1');
  if (opts.token || isLoopbackHost(host)) return { host };
  const what = `${host} is reachable from other machines and METRICS_TOKEN is not set, so anyone who reaches the worker's metrics port could read it`;
  if (opts.production) return { host, problem: `WORKER_METRICS_HOST: ${what}; set METRICS_TOKEN or bind 127.0.0.1` };
  return { host, warning: `WORKER_METRICS_HOST=${what}: fine for development, refused in production without METRICS_TOKEN` };
}

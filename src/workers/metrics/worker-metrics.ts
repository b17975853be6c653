import type { Worker } from 'bullmq';
import type { Core } from '../../shared/core';
import { createCoreMetricsRegistry } from '../../shared/metrics/core-metrics';
import type { QueueName } from '../../shared/queues/queue-names';
import { startMetricsServer, type MetricsServer } from '../metrics-server';
import { registerJobOutcomeMetrics } from './job-outcome-metrics';

/**
 * Builds this worker process's metrics and serves them on WORKER_METRICS_HOST:WORKER_METRICS_PORT.
 * A port that cannot be bound (a second worker on the same machine) costs the metrics, not the
 * worker: it is logged and the worker runs on without them.
 */
export async function startWorkerMetrics(core: Core, workers: ReadonlyMap<QueueName, Worker>): Promise<MetricsServer | undefined> {
  const registry = createCoreMetricsRegistry(core, 'worker');
  registerJobOutcomeMetrics(registry, workers);
  const { workerHost: host, workerPort, token } = core.config.metrics;
  try {
    const server = await startMetricsServer({ registry, host, port: workerPort, token, log: core.log });
    core.log.info({ host, port: server.port, path: '/metrics', tokenRequired: Boolean(token) }, 'metrics listening');
    return server;
  } catch (err) {
    core.log.warn({ err, host, port: workerPort }, 'metrics server could not start: running without /metrics (set WORKER_METRICS_PORT)');
    return undefined;
  }
}

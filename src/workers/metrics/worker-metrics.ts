import type { Worker } from 'bullmq';
import { Gauge } from 'prom-client';
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
export async function startWorkerMetrics(core: Core, workers: ReadonlyMap<QueueName, Worker>, pollRateLimit?: () => number): Promise<MetricsServer | undefined> {
  const registry = createCoreMetricsRegistry(core, 'worker');
  registerJobOutcomeMetrics(registry, workers);
  if (pollRateLimit) {
    new Gauge({
      name: 'evara_poll_rate_limit_per_second',
      help: 'Poll jobs per second this worker\'s limiter allows now: POLL_MAX_PER_SECOND, lower after ThingSpeak 429s or a busy database pool',
      registers: [registry],
      collect() {
        this.set(pollRateLimit());
      },
    });
  }
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

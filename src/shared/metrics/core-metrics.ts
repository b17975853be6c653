import type { Registry } from 'prom-client';
import type { Core } from '../core';
import { createMetricsRegistry } from './metrics-registry';
import { registerBreakerMetrics } from './breaker-metrics';
import { registerDbPoolMetrics } from './db-pool-metrics';
import { registerQueueMetrics } from './queue-metrics';

/**
 * The registry every process starts from: runtime metrics, its database pool, the queue depths
 * and the circuit breaker, labelled with the process's service and version.
 */
export function createCoreMetricsRegistry(core: Core, service: string): Registry {
  const registry = createMetricsRegistry({ service, version: core.config.version });
  registerDbPoolMetrics(registry, core.db);
  registerQueueMetrics(registry, core.queues);
  registerBreakerMetrics(registry, core.breaker);
  return registry;
}

import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client';

export { Registry };

// The Node.js runtime metrics (event-loop lag via monitorEventLoopDelay, memory, CPU, GC, handles)
// describe the process, not an app: they are created once per process and shared by every
// registry. Creating them per registry would start one more event-loop monitor and GC observer
// for each app a test builds, none of which can be stopped.
let runtimeRegistry: Registry | undefined;

function runtimeMetrics(): Registry {
  if (!runtimeRegistry) {
    runtimeRegistry = new Registry();
    collectDefaultMetrics({ register: runtimeRegistry });
    // prom-client's nodejs_active_{handles,requests,resources}_total are gauges: `_total` is for
    // counters (promtool warns, and rate() over them is wrong). They only sum the per-type gauges
    // of the same name without `_total`: use sum(nodejs_active_handles) and the like instead.
    for (const metric of runtimeRegistry.getMetricsAsArray()) {
      if (metric instanceof Gauge && metricName(metric).endsWith('_total')) runtimeRegistry.removeSingleMetric(metricName(metric));
    }
  }
  return runtimeRegistry;
}

const metricName = (metric: unknown): string => (metric as { name: string }).name;

/**
 * A registry of its own for one API app or worker process (never prom-client's global one, so a
 * test can build several apps in one process), labelled with the service and deploy version and
 * already holding the runtime metrics (`nodejs_eventloop_lag_seconds`, `process_resident_memory_bytes`, ...).
 */
export function createMetricsRegistry(labels: { service: string; version: string }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  for (const metric of runtimeMetrics().getMetricsAsArray()) registry.registerMetric(metric as unknown as Metric);
  return registry;
}

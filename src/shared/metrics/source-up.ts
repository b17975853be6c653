import { Gauge, type Registry } from 'prom-client';

const SOURCES = new WeakMap<Registry, Map<string, () => Promise<unknown>>>();

/**
 * `evara_metrics_source_up{source}`: 1 when the scrape-time read behind a group of metrics
 * answered in time, 0 when it failed or timed out (those metrics are then absent from the scrape,
 * not stale). Awaits the same shared read as the metrics themselves, so it describes this scrape.
 */
export function trackSource(registry: Registry, source: string, load: () => Promise<unknown>): void {
  let sources = SOURCES.get(registry);
  if (!sources) {
    const tracked = new Map<string, () => Promise<unknown>>();
    sources = tracked;
    SOURCES.set(registry, tracked);
    new Gauge({
      name: 'evara_metrics_source_up',
      help: 'Whether the scrape-time read behind a group of metrics answered in time (1) or not (0)',
      labelNames: ['source'],
      registers: [registry],
      async collect() {
        const results = await Promise.all([...tracked].map(async ([name, read]) => [name, await read().then(() => 1, () => 0)] as const));
        for (const [name, up] of results) this.set({ source: name }, up);
      },
    });
  }
  sources.set(source, load);
}

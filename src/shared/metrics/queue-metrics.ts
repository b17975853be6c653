import { Gauge, type Registry } from 'prom-client';
import type { Queues } from '../queues/queues';
import { QUEUE_NAMES } from '../queues/queue-names';
import { scrapeLoader } from './scrape-loader';
import { trackSource } from './source-up';

/** The job states reported per queue (a paused queue keeps its jobs waiting: see evara_queue_paused); completed and failed are bounded by removeOnComplete/Fail. */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

interface QueueDepth {
  queue: string;
  counts: Record<string, number>;
  paused: boolean;
}

/**
 * Queue depths read from Redis at scrape time: `evara_queue_jobs{queue,state}` and
 * `evara_queue_paused{queue}`. Values are global (every process sees the same queues), so
 * aggregate across processes with max(), not sum().
 */
export function registerQueueMetrics(registry: Registry, queues: Queues): void {
  const load = scrapeLoader(() =>
    Promise.all(
      QUEUE_NAMES.map(async (name): Promise<QueueDepth> => {
        const queue = queues[name];
        const [counts, paused] = await Promise.all([queue.getJobCounts(...QUEUE_JOB_STATES), queue.isPaused()]);
        return { queue: name, counts, paused };
      }),
    ),
  );
  trackSource(registry, 'queues', load);

  new Gauge({
    name: 'evara_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (global: the same in every process)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const depths = await load().catch(() => []);
      this.reset();
      for (const { queue, counts } of depths) {
        for (const state of QUEUE_JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
      }
    },
  });

  new Gauge({
    name: 'evara_queue_paused',
    help: 'Whether the queue is paused (1) globally, by an operator or by the database circuit breaker',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const depths = await load().catch(() => []);
      this.reset();
      for (const { queue, paused } of depths) this.set({ queue }, paused ? 1 : 0);
    },
  });
}

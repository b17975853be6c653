import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { defaultJobOptions } from './jobs';
import { QUEUE_NAMES, type QueueName } from './queue-names';
import { queueTelemetry } from './queue-telemetry';

export type Queues = Record<QueueName, Queue> & { close(): Promise<void> };

// The webhook retry delay is configurable (NOTIFY_BACKOFF_MS: receivers' needs differ, tests need
// it short); every other retry policy is fixed in jobs.ts.
function jobOptionsFor(name: QueueName, config: Config): DefaultJobOptions {
  const base = defaultJobOptions[name];
  if (name !== 'notifications' || typeof base.backoff !== 'object') return base;
  return { ...base, backoff: { ...base.backoff, delay: config.notifications.backoffMs } };
}

/** One BullMQ Queue per contract queue, sharing one connection and the configured prefix. */
export function createQueues(config: Config, connection: Redis, log: Logger): Queues {
  let lastErrorLogAt = 0;
  const entries = QUEUE_NAMES.map((name) => {
    const queue = new Queue(name, { connection, prefix: config.queues.prefix, defaultJobOptions: jobOptionsFor(name, config), telemetry: queueTelemetry() });
    // Without a listener BullMQ prints every reconnect failure to the console; the Redis client
    // already logs outages, so these are kept to one line per 10 s.
    queue.on('error', (err: Error) => {
      if (Date.now() - lastErrorLogAt > 10_000) {
        lastErrorLogAt = Date.now();
        log.warn({ err, queue: name }, 'queue connection error');
      }
    });
    return [name, queue] as const;
  });
  const queues = Object.fromEntries(entries) as Record<QueueName, Queue>;
  return Object.assign(queues, {
    async close() {
      await Promise.all(entries.map(([, q]) => q.close()));
    },
  });
}

import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { defaultJobOptions } from './jobs';
import { QUEUE_NAMES, type QueueName } from './queue-names';

export type Queues = Record<QueueName, Queue> & { close(): Promise<void> };

/** One BullMQ Queue per contract queue, sharing one connection and the configured prefix. */
export function createQueues(config: Config, connection: Redis): Queues {
  const entries = QUEUE_NAMES.map(
    (name) => [name, new Queue(name, { connection, prefix: config.queues.prefix, defaultJobOptions: defaultJobOptions[name] })] as const,
  );
  const queues = Object.fromEntries(entries) as Record<QueueName, Queue>;
  return Object.assign(queues, {
    async close() {
      await Promise.all(entries.map(([, q]) => q.close()));
    },
  });
}

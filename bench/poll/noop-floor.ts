import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { defaultJobOptions } from '../../src/shared/queues/jobs';
import { waitFor } from '../../test/helpers/wait-for';
import { startChild } from './child-process';
import { waitUntilDrained } from './poll-rounds';

const NOOP_COMMAND: readonly string[] = [process.execPath, '--import', 'tsx', 'bench/poll/noop-worker.ts'];

/**
 * Jobs/s of a no-op BullMQ worker process on the same Redis: what the queue alone allows. Jobs
 * carry the poll queue's default options and a deduplication id like polls, and are added with
 * addBulk in chunks of 500 as the producers do, while the worker already runs.
 */
export async function measureNoopFloor(opts: { redis: Redis; redisUrl: string; prefix: string; jobs: number; concurrency: number }): Promise<number> {
  const name = `noop-floor-c${opts.concurrency}`;
  const queue = new Queue(name, { connection: opts.redis, prefix: opts.prefix, defaultJobOptions: defaultJobOptions.poll });
  let ready = false;
  const [command, ...args] = NOOP_COMMAND;
  const child = startChild(command!, args, { REDIS_URL: opts.redisUrl, QUEUE_PREFIX: opts.prefix, NOOP_QUEUE: name, NOOP_CONCURRENCY: String(opts.concurrency) }, (line) => {
    if (line === 'ready') ready = true;
  });
  try {
    await waitFor(() => {
      if (child.hasExited()) throw new Error(`no-op worker exited: ${child.tail().join(' | ')}`);
      return ready;
    }, { timeoutMs: 60_000, what: 'the no-op worker to be ready' });
    const startedAt = performance.now();
    const CHUNK = 500;
    for (let i = 0; i < opts.jobs; i += CHUNK) {
      const count = Math.min(CHUNK, opts.jobs - i);
      await queue.addBulk(Array.from({ length: count }, (_, k) => ({ name: 'noop', data: { n: i + k }, opts: { deduplication: { id: `noop:${i + k}` } } })));
    }
    await waitUntilDrained(queue, { timeoutMs: 120_000 + opts.jobs * 10, what: `${opts.jobs} no-op jobs` });
    return opts.jobs / ((performance.now() - startedAt) / 1000);
  } finally {
    await child.stop(10_000);
    await queue.close();
  }
}

/**
 * The floor of the poll bench: a bare BullMQ worker whose job does nothing, run as its own
 * process like the real worker. Env: REDIS_URL, QUEUE_PREFIX, NOOP_QUEUE, NOOP_CONCURRENCY.
 * Prints "ready" once it can take jobs and leaves on SIGTERM.
 */
import { Worker } from 'bullmq';
import IORedis from 'ioredis';

async function main(): Promise<void> {
  const connection = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const worker = new Worker(process.env.NOOP_QUEUE!, async () => undefined, {
    connection,
    prefix: process.env.QUEUE_PREFIX!,
    concurrency: Number(process.env.NOOP_CONCURRENCY ?? 10),
  });
  worker.on('error', (err) => process.stderr.write(`noop worker error: ${err.message}\n`));
  await worker.waitUntilReady();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void worker.close().then(() => {
      connection.disconnect();
      process.exit(0);
    });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`noop worker failed: ${(err as Error).message}\n`);
  process.exit(1);
});

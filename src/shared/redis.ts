import IORedis, { type Redis } from 'ioredis';
import type { Config } from './config';
import type { Logger } from './logger';

export type { Redis };

/**
 * producer: fails fast (no offline queue, one retry per request) so an API request answers 503
 * instead of hanging while Redis is down. worker: BullMQ requires maxRetriesPerRequest null and
 * keeps reconnecting for ever.
 */
export function createRedis(config: Config, log: Logger, kind: 'producer' | 'worker'): Redis {
  const redis = new IORedis(config.redis.url, {
    lazyConnect: false,
    connectTimeout: 5_000,
    ...(kind === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true }),
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
  let lastLoggedAt = 0;
  redis.on('error', (err: Error) => {
    // A Redis outage emits an error per reconnect attempt: log at most one line per 10 s.
    if (Date.now() - lastLoggedAt > 10_000) {
      lastLoggedAt = Date.now();
      log.warn({ err, kind }, 'redis connection error');
    }
  });
  return redis;
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

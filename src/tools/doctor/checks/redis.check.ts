import IORedis, { type Redis } from 'ioredis';
import { maskUrl } from '../../../shared/db/database-url';
import { checkRedis } from '../../../shared/health/dependency-checks';
import { mustFix, ok, type Finding } from '../finding';
import { errorCode, errorText } from '../error-text';
import { withTimeout } from '../with-timeout';
import { assessEvictionPolicy, assessRedisVersion, parseInfo } from './redis-assessment';

const CHECK = 'redis';

function connectionFix(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'nothing listens there: start Redis or fix the host/port in REDIS_URL';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS cannot resolve the host: check REDIS_URL (Render: use the Key Value internal URL)';
    case 'ETIMEDOUT':
      return 'no answer: check the IP allow list of the Redis service and the network path';
    default:
      return 'check REDIS_URL: scheme (redis:// or rediss:// for TLS), host, port and password';
  }
}

/** INFO memory has carried maxmemory_policy since Redis 3; CONFIG GET is the fallback for stripped INFO. */
async function evictionPolicy(redis: Redis): Promise<string | undefined> {
  const fromInfo = parseInfo(await redis.info('memory')).maxmemory_policy;
  if (fromInfo) return fromInfo;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    return reply[1];
  } catch {
    return undefined; // Managed services often rename or forbid CONFIG.
  }
}

/** Connects once (no retries, bounded by timeoutMs), then reports version and eviction policy. */
export async function checkRedisServer(url: string, timeoutMs: number): Promise<Finding[]> {
  const redis = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket error (ECONNREFUSED, ...) arrives as an 'error' event; connect() itself then rejects
  // with a bare "Connection is closed". Listening also keeps it from being an unhandled event.
  let socketError: unknown;
  redis.on('error', (err: unknown) => (socketError ??= err));
  try {
    try {
      // connect() waits for the ready check too, which a silent server never answers.
      await withTimeout(redis.connect(), timeoutMs);
    } catch (err) {
      const cause = errorCode(err) === 'ETIMEDOUT' ? err : (socketError ?? err);
      return [mustFix(CHECK, `cannot connect to ${maskUrl(url)} (${errorText(cause)})`, connectionFix(errorCode(cause)))];
    }
    const ping = await checkRedis(redis, timeoutMs);
    if (ping.status === 'down') return [mustFix(CHECK, `connected to ${maskUrl(url)} but PING failed (${ping.error ?? 'failed'})`, connectionFix(undefined))];
    const version = parseInfo(await redis.info('server')).redis_version;
    return [ok(CHECK, `connected to ${maskUrl(url)}, PING ${ping.latencyMs} ms`), assessRedisVersion(version), assessEvictionPolicy(await evictionPolicy(redis))];
  } catch (err) {
    return [mustFix(CHECK, `check failed: ${errorText(err)}`, connectionFix(errorCode(err)))];
  } finally {
    redis.disconnect();
  }
}

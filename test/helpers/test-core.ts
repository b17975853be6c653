import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/shared/config';
import { createLogger, type Logger } from '../../src/shared/logger';
import { createCore, type Core } from '../../src/shared/core';
import { itDatabaseUrl, itRedisUrl } from '../setup/test-env';

/** Every log line a test core wrote, as parsed JSON and as raw text (for secret checks). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestCore extends Core {
  logs: LogCapture;
  prefix: string;
}

/** Environment for a test process or core: the suite's database, Redis and a unique queue prefix. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: itDatabaseUrl(),
    REDIS_URL: itRedisUrl(),
    QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    LOG_LEVEL: 'info',
    POLL_OVERLAP_MS: '300000',
    // The offline sweep scans the whole shared database; tests that need it run it by hand.
    ALERT_SWEEP_MS: '0',
    // Worker processes serve /metrics; a free port each, so parallel workers and runs never collide.
    WORKER_METRICS_PORT: '0',
    // Jobs parked by a database outage come back quickly once it ends.
    WORKER_PARK_MS: '100',
    // Test receivers listen on loopback. Production's default is empty (public addresses only);
    // test/integration/api/webhooks-address-policy.api.test.ts and webhook-egress.flow.test.ts prove it by overriding this with ''.
    WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8,::1/128',
    // Every test request comes from 127.0.0.1, many with bad keys on purpose: limits far above any
    // test's traffic keep the limiter in the path without refusing. Rate-limit tests set small ones.
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_KEY_PER_MINUTE: '1000000',
    RATE_LIMIT_WEBHOOK_TESTS_PER_MINUTE: '1000000',
    RATE_LIMIT_WS_TICKETS_PER_MINUTE: '1000000',
    RATE_LIMIT_KEY_CREATION_PER_MINUTE: '1000000',
    ...overrides,
  };
}

/** A real core (Postgres, Redis, BullMQ) on a unique queue prefix, logging into memory. */
export function createTestCore(overrides: Record<string, string> = {}, role: 'api' | 'worker' = 'worker'): TestCore {
  const config: Config = loadConfig(testEnv(overrides), role);
  const logs = new LogCapture();
  const log: Logger = createLogger({ service: role, version: 'test', level: config.logLevel, destination: logs });
  const core = createCore(config, log, { redisKind: role === 'api' ? 'producer' : 'worker' });
  const close = core.close;
  return Object.assign(core, {
    logs,
    prefix: config.queues.prefix,
    async close() {
      await removeKeys(core, config.queues.prefix);
      await close();
    },
  });
}

/** Deletes this test's keys so the shared Redis does not fill up across runs. */
async function removeKeys(core: Core, prefix: string): Promise<void> {
  try {
    let cursor = '0';
    do {
      const [next, keys] = await core.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await core.redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis may be the thing a test stopped; leftover keys are harmless.
  }
}

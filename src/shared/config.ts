import { z } from 'zod';
import { maskUrl, normaliseDatabaseUrl, type NormalisedDatabaseUrl } from './db/database-url';
import { QUEUE_NAMES, type QueueName } from './queues/queue-names';
import { databaseConnectionsNeeded } from './queues/worker-sizing';

/**
 * The only reader of process.env. `loadConfig` is pure: it validates every variable, reports all
 * bad ones in one ConfigError, and returns a frozen nested object. `.env.example` repeats these docs.
 */
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** Defaults also used by tools that must work when the configuration as a whole is invalid. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_THINGSPEAK_BASE_URL = 'https://api.thingspeak.com';

const intFrom = (def: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);

const envSchema = z.object({
  /** development | test | production. Production requires ADMIN_API_KEY and ENCRYPTION_KEY. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Postgres connection URL. sslmode is read with libpq meanings (see database-url.ts). */
  DATABASE_URL: z.string().min(1, 'is required (postgres://user:pass@host:5432/db)'),
  /** PEM text of the CA that signs the database server certificate (Supabase: its own CA). */
  DATABASE_CA_CERT: optionalSecret,
  // A worker's default is what its queues can use at once (worker-sizing.ts), so jobs never queue for a connection.
  /** Largest number of pooled database connections per process (default: 10 for the API, 24 for a worker running every queue). */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).optional(),
  /** Redis URL for queues, locks and pub/sub. */
  REDIS_URL: z.string().min(1).default(DEFAULT_REDIS_URL),
  /** HTTP port of the API. */
  PORT: intFrom(3000, 0, 65535),
  /** ThingSpeak read API base URL (the local simulator in development and tests). */
  THINGSPEAK_BASE_URL: z.string().url().default(DEFAULT_THINGSPEAK_BASE_URL),
  /** Timeout of one ThingSpeak HTTP request. */
  THINGSPEAK_TIMEOUT_MS: intFrom(10_000, 100, 120_000),
  /** Bootstraps a superadmin API key with this value at API start. Required in production. */
  ADMIN_API_KEY: optionalSecret,
  // Revocation reaches every API process at once through Redis pub/sub; the TTL bounds staleness if Redis cannot tell them.
  /** How long an API process trusts a key it has checked before asking the database again (0: every request asks). */
  API_KEY_CACHE_MS: intFrom(10_000, 0, 300_000),
  /** 32 bytes, base64 or hex: encrypts ThingSpeak read keys at rest. Required in production. */
  ENCRYPTION_KEY: optionalSecret,
  /** How often the poll tick fans out one poll job per active channel. */
  POLL_INTERVAL_MS: intFrom(60_000, 1_000),
  // Polls mostly wait for ThingSpeak and hold no database connection meanwhile (commits are batched),
  // so this is sized for ThingSpeak's latency: 200 in flight at 300 ms per answer is ~600 polls/s.
  /** How many poll jobs one worker process runs at once. */
  POLL_CONCURRENCY: intFrom(200, 1, 2_000),
  // 10k channels a minute is 167 polls/s; the cap leaves headroom and still protects ThingSpeak from a stampede.
  /** Poll jobs started per second across all workers (BullMQ's global limiter): politeness to ThingSpeak. */
  POLL_MAX_PER_SECOND: intFrom(1_000, 1, 10_000),
  /** How far before the previous fetch a poll looks again, to catch entries written late. */
  POLL_OVERLAP_MS: intFrom(300_000, 0),
  /** Prefix of every BullMQ and Evara key in Redis; processes that cooperate share it. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/, 'may use letters, digits, ":", "_" and "-"').default('evara'),
  /** Comma-separated queues this worker process runs, or "all". */
  WORKER_QUEUES: z.string().default('all'),
  /** How long a worker's job lock lasts; a crashed worker's jobs are retried after about this long. */
  WORKER_LOCK_MS: intFrom(30_000, 1_000, 600_000),
  /** First wait of a job parked because the database is unreachable; doubles each time it is parked again, up to 5 min, never before the breaker's next probe. */
  WORKER_PARK_MS: intFrom(5_000, 10, 300_000),
  /** Tries of the first database connection at start, with doubling waits, before starting degraded. */
  DB_INIT_ATTEMPTS: intFrom(3, 1, 100),
  /** First wait between start-up connection tries (2 s, 4 s, 8 s by default). */
  DB_INIT_BACKOFF_MS: intFrom(2_000, 10),
  /** Consecutive database-unavailable failures, across all workers, that open the DB circuit breaker. */
  CIRCUIT_FAILURE_THRESHOLD: intFrom(5, 1, 1_000),
  /** First wait before probing the database once the breaker is open; doubles after each failed probe. */
  CIRCUIT_PROBE_BASE_MS: intFrom(60_000, 100),
  /** Longest wait between two probes of the database while the breaker is open. */
  CIRCUIT_PROBE_MAX_MS: intFrom(300_000, 100),
  /** Window over which polls parked by an outage are spread after recovery, so they do not stampede. */
  CIRCUIT_RAMP_MS: intFrom(30_000, 0),
  /** How often each worker checks the breaker (probe due, queue pause agrees with the state). */
  CIRCUIT_CHECK_MS: intFrom(1_000, 50, 60_000),
  /** Alerts raised from data older than this are marked catch-up and page nobody (backfills, outages). */
  ALERT_CATCHUP_AGE_MS: intFrom(3_600_000, 0),
  /** How often built-in conditions (node offline, channel access lost) are checked; 0 turns the sweep off (tests). */
  ALERT_SWEEP_MS: z.coerce.number().int().refine((v) => v === 0 || v >= 100, 'must be 0 (off) or at least 100').default(60_000),
  /** Consecutive access failures (-1, 401, 404) on a channel before "channel access lost" opens. */
  ALERT_ACCESS_LOST_AFTER: intFrom(3, 1, 1_000),
  /** How long a metric must keep reporting NaN or garbage before a data-quality alert opens. */
  ALERT_DATA_QUALITY_MS: intFrom(1_800_000, 0),
  /** How often the notification outbox is swept for notifications whose delivery job was never queued. */
  NOTIFY_RELAY_MS: intFrom(30_000, 100),
  /** Timeout of one webhook delivery attempt. */
  WEBHOOK_TIMEOUT_MS: intFrom(10_000, 100, 120_000),
  /** First wait before a failed webhook delivery is retried; doubles per attempt (with jitter), 10 attempts in all. */
  NOTIFY_BACKOFF_MS: intFrom(5_000, 10, 3_600_000),
  /** Interval between WebSocket pings; a client that missed the previous pong is dropped. */
  WS_HEARTBEAT_MS: intFrom(30_000, 100),
  /** A WebSocket client with more unsent bytes than this is too slow and is disconnected. */
  WS_MAX_BUFFERED_BYTES: intFrom(1_048_576, 1_024),
  /** Window over which node status changes are batched into BATCH_STATUS_UPDATE. */
  WS_BATCH_MS: intFrom(1_000, 0, 60_000),
  /** Readings older than this many days are deleted by the daily retention job. */
  RETENTION_READINGS_DAYS: intFrom(30, 1),
  /** Resolved alerts (and their notifications) older than this many days are deleted. */
  RETENTION_ALERTS_DAYS: intFrom(90, 1),
  /** Audit log entries older than this many days are deleted. */
  RETENTION_AUDIT_DAYS: intFrom(365, 1),
  /** Rows deleted per statement, so no table is locked for long. */
  RETENTION_BATCH_SIZE: intFrom(5_000, 1, 100_000),
  /** When the retention job runs (cron, UTC). */
  RETENTION_CRON: z.string().min(9).default('30 3 * * *'),
  /** Grace period for running jobs / requests on SIGTERM before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: intFrom(25_000, 1_000),
  /** Bearer token that may read /metrics (API and worker); at least 32 characters in production. Superadmin API keys may read the API's too. */
  METRICS_TOKEN: optionalSecret,
  /** Port of each worker's Prometheus /metrics server (internal: not the API port); 0 picks a free port (tests). */
  WORKER_METRICS_PORT: intFrom(9464, 0, 65535),
  /** Address the worker's metrics server binds: 0.0.0.0 lets a scraper on the private network in, 127.0.0.1 keeps it on the machine. */
  WORKER_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Deploy version shown in logs and /health (Render sets RENDER_GIT_COMMIT). */
  APP_VERSION: z.string().optional(),
  RENDER_GIT_COMMIT: z.string().optional(),
});

export type ProcessRole = 'api' | 'worker' | 'tool';

export interface Config {
  readonly role: ProcessRole;
  readonly env: 'development' | 'test' | 'production';
  readonly version: string;
  readonly logLevel: string;
  readonly db: NormalisedDatabaseUrl & { readonly url: string; readonly poolMax: number };
  readonly redis: { readonly url: string };
  readonly api: { readonly port: number; readonly adminApiKey?: string; readonly keyCacheMs: number };
  readonly thingspeak: { readonly baseUrl: string; readonly timeoutMs: number };
  readonly poll: { readonly intervalMs: number; readonly concurrency: number; readonly overlapMs: number; readonly maxPerSecond: number };
  readonly queues: { readonly prefix: string };
  readonly worker: { readonly queues: readonly QueueName[]; readonly lockMs: number; readonly parkMs: number };
  readonly circuit: { readonly failureThreshold: number; readonly probeBaseMs: number; readonly probeMaxMs: number; readonly checkMs: number; readonly rampMs: number };
  readonly alerts: { readonly catchUpAgeMs: number; readonly sweepMs: number; readonly accessLostAfter: number; readonly dataQualityMs: number };
  readonly notifications: { readonly relayMs: number; readonly webhookTimeoutMs: number; readonly backoffMs: number };
  readonly ws: { readonly heartbeatMs: number; readonly maxBufferedBytes: number; readonly batchMs: number };
  readonly retention: { readonly readingsDays: number; readonly alertsDays: number; readonly auditDays: number; readonly batchSize: number; readonly cron: string };
  readonly encryptionKey: Buffer;
  readonly shutdownTimeoutMs: number;
  readonly dbInit: { readonly attempts: number; readonly backoffMs: number };
  /** Prometheus /metrics: who may read it and where each worker serves it. */
  readonly metrics: { readonly token?: string; readonly workerPort: number; readonly workerHost: string };
  /** Advice found while loading (insecure defaults, Supabase host problems). */
  readonly warnings: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// A development-only key so a newcomer can run the demo without setting secrets. Never used in production.
const DEV_ENCRYPTION_KEY: Buffer = Buffer.from('evara-development-only-key-32byt');

function parseEncryptionKey(raw: string): Buffer | undefined {
  const hex = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : undefined;
  const key = hex ?? Buffer.from(raw, 'base64');
  return key.length === 32 ? key : undefined;
}

function parseQueues(raw: string): { queues?: QueueName[]; problem?: string } {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || (names.length === 1 && names[0] === 'all')) return { queues: [...QUEUE_NAMES] };
  const unknown = names.filter((n) => !(QUEUE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    return { problem: `WORKER_QUEUES: unknown queue(s) ${unknown.join(', ')}; known: ${QUEUE_NAMES.join(', ')} or "all"` };
  }
  return { queues: [...new Set(names)] as QueueName[] };
}

export function loadConfig(env: Record<string, string | undefined>, role: ProcessRole): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // Never echo the received value: it may be a secret.
      problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const warnings: string[] = [];

  let db: NormalisedDatabaseUrl | undefined;
  try {
    db = normaliseDatabaseUrl(e.DATABASE_URL, e.DATABASE_CA_CERT);
    warnings.push(...db.warnings);
  } catch (err) {
    problems.push(`DATABASE_URL: ${(err as Error).message}`);
  }
  try {
    const r = new URL(e.REDIS_URL);
    if (r.protocol !== 'redis:' && r.protocol !== 'rediss:') problems.push('REDIS_URL: must start with redis:// or rediss://');
  } catch {
    problems.push('REDIS_URL: is not a valid URL');
  }

  const queues = parseQueues(e.WORKER_QUEUES);
  if (queues.problem) problems.push(queues.problem);

  let encryptionKey: Buffer = DEV_ENCRYPTION_KEY;
  if (e.ENCRYPTION_KEY) {
    const key = parseEncryptionKey(e.ENCRYPTION_KEY);
    if (key) encryptionKey = key;
    else problems.push('ENCRYPTION_KEY: must be 32 bytes as base64 (44 chars) or hex (64 chars)');
  } else if (e.NODE_ENV === 'production') {
    problems.push('ENCRYPTION_KEY: is required in production (32 bytes, base64 or hex: `openssl rand -base64 32`)');
  } else {
    warnings.push('ENCRYPTION_KEY is not set: ThingSpeak read keys are encrypted with a development key');
  }

  if (e.NODE_ENV === 'production' && role === 'api') {
    if (!e.ADMIN_API_KEY) problems.push('ADMIN_API_KEY: is required in production (at least 32 characters)');
  }
  if (e.ADMIN_API_KEY && e.ADMIN_API_KEY.length < 32) {
    if (e.NODE_ENV === 'production') problems.push('ADMIN_API_KEY: must be at least 32 characters');
    else warnings.push('ADMIN_API_KEY is shorter than 32 characters: fine for development, refused in production');
  }

  if (e.METRICS_TOKEN && e.METRICS_TOKEN.length < 32) {
    if (e.NODE_ENV === 'production') problems.push('METRICS_TOKEN: must be at least 32 characters');
    else warnings.push('METRICS_TOKEN is shorter than 32 characters: fine for development, refused in production');
  }

  if (problems.length > 0 || !db || !queues.queues) throw new ConfigError(problems);

  const poolNeeded = role === 'worker' ? databaseConnectionsNeeded(queues.queues) : 10;
  const poolMax = e.DATABASE_POOL_MAX ?? poolNeeded;
  if (role === 'worker' && poolMax < poolNeeded) {
    warnings.push(
      `DATABASE_POOL_MAX=${poolMax} is below the ${poolNeeded} connections WORKER_QUEUES=${queues.queues.join(',')} can use at once: jobs may wait for a connection and trip the database breaker`,
    );
  }

  return Object.freeze({
    role,
    env: e.NODE_ENV,
    version: e.APP_VERSION ?? e.RENDER_GIT_COMMIT?.slice(0, 12) ?? 'dev',
    logLevel: e.LOG_LEVEL,
    db: Object.freeze({ ...db, url: e.DATABASE_URL, poolMax }),
    redis: Object.freeze({ url: e.REDIS_URL }),
    api: Object.freeze({ port: e.PORT, adminApiKey: e.ADMIN_API_KEY, keyCacheMs: e.API_KEY_CACHE_MS }),
    thingspeak: Object.freeze({ baseUrl: e.THINGSPEAK_BASE_URL.replace(/\/+$/, ''), timeoutMs: e.THINGSPEAK_TIMEOUT_MS }),
    poll: Object.freeze({ intervalMs: e.POLL_INTERVAL_MS, concurrency: e.POLL_CONCURRENCY, overlapMs: e.POLL_OVERLAP_MS, maxPerSecond: e.POLL_MAX_PER_SECOND }),
    queues: Object.freeze({ prefix: e.QUEUE_PREFIX }),
    worker: Object.freeze({ queues: Object.freeze(queues.queues), lockMs: e.WORKER_LOCK_MS, parkMs: e.WORKER_PARK_MS }),
    circuit: Object.freeze({
      failureThreshold: e.CIRCUIT_FAILURE_THRESHOLD,
      probeBaseMs: e.CIRCUIT_PROBE_BASE_MS,
      probeMaxMs: Math.max(e.CIRCUIT_PROBE_MAX_MS, e.CIRCUIT_PROBE_BASE_MS),
      checkMs: e.CIRCUIT_CHECK_MS,
      rampMs: e.CIRCUIT_RAMP_MS,
    }),
    alerts: Object.freeze({
      catchUpAgeMs: e.ALERT_CATCHUP_AGE_MS,
      sweepMs: e.ALERT_SWEEP_MS,
      accessLostAfter: e.ALERT_ACCESS_LOST_AFTER,
      dataQualityMs: e.ALERT_DATA_QUALITY_MS,
    }),
    notifications: Object.freeze({ relayMs: e.NOTIFY_RELAY_MS, webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS, backoffMs: e.NOTIFY_BACKOFF_MS }),
    ws: Object.freeze({ heartbeatMs: e.WS_HEARTBEAT_MS, maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES, batchMs: e.WS_BATCH_MS }),
    retention: Object.freeze({
      readingsDays: e.RETENTION_READINGS_DAYS,
      alertsDays: e.RETENTION_ALERTS_DAYS,
      auditDays: e.RETENTION_AUDIT_DAYS,
      batchSize: e.RETENTION_BATCH_SIZE,
      cron: e.RETENTION_CRON,
    }),
    encryptionKey,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    dbInit: Object.freeze({ attempts: e.DB_INIT_ATTEMPTS, backoffMs: e.DB_INIT_BACKOFF_MS }),
    metrics: Object.freeze({ token: e.METRICS_TOKEN, workerPort: e.WORKER_METRICS_PORT, workerHost: e.WORKER_METRICS_HOST }),
    warnings: Object.freeze(warnings),
  });
}

/** The configuration as it may be logged: hosts and settings, never a password or key. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    role: config.role,
    env: config.env,
    version: config.version,
    database: {
      url: maskUrl(config.db.url),
      host: config.db.host,
      port: config.db.port,
      database: config.db.database,
      poolerMode: config.db.poolerMode,
      ssl: config.db.ssl === false ? 'off' : config.db.ssl.rejectUnauthorized === false ? 'on (not verified)' : 'on (verified)',
      poolMax: config.db.poolMax,
    },
    redis: maskUrl(config.redis.url),
    thingspeak: config.thingspeak.baseUrl,
    poll: config.poll,
    queuePrefix: config.queues.prefix,
    workerQueues: config.worker.queues,
    adminApiKey: config.api.adminApiKey ? 'set' : 'not set',
  };
}

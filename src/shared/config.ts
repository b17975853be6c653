import { isIP } from 'node:net';
import { z } from 'zod';
import { maskUrl, normaliseDatabaseUrl, type NormalisedDatabaseUrl } from './db/database-url';
import { DatabaseTlsError } from './db/database-tls';
import { createKeyring, type SecretKeyring } from './crypto/secret-keyring';
import { resolveWorkerMetricsHost } from './metrics/worker-metrics-bind';
import { QUEUE_NAMES, type QueueName } from './queues/queue-names';
import { formatCidr, parseCidrList, type Cidr } from './net/cidr-list';
import { databaseConnectionsNeeded, poolShortfall } from './queues/worker-sizing';
import { isTracingConfigured } from './telemetry/tracing-switch';
import { isLoopbackHost } from './loopback-host';

/**
 * The only reader of process.env. `loadConfig` is pure: it validates every variable, reports all
 * bad ones in one ConfigError, and returns a frozen nested object. `.env.example` repeats these docs.
 */
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** OpenTelemetry's variables are read by its SDK itself; they are checked here so a typo fails at start, and an empty one counts as unset, as the SDK reads it. */
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const optionalUrl = optionalText.refine((v) => v === undefined || (/^https?:\/\//i.test(v) && URL.canParse(v)), 'must be an http(s) URL such as http://collector:4318');

/** Defaults also used by tools that must work when the configuration as a whole is invalid. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_THINGSPEAK_BASE_URL = 'https://api.thingspeak.com';

/** A hop count, or addresses/subnets (and Express's names for private ranges) as Express's 'trust proxy' takes them. */
function isTrustProxy(raw: string): boolean {
  if (/^\d{1,2}$/.test(raw)) return true;
  const named = ['loopback', 'linklocal', 'uniquelocal'];
  return raw.split(',').every((part) => {
    const [address, bits, ...rest] = part.trim().split('/');
    return rest.length === 0 && (named.includes(address ?? '') ? bits === undefined : isIP(address ?? '') !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits)));
  });
}

const intFrom = (def: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);

const envSchema = z.object({
  /** development | test | production. Production requires ADMIN_API_KEY and ENCRYPTION_KEY. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Postgres connection URL. sslmode is read with libpq meanings (see database-url.ts). */
  DATABASE_URL: z.string().min(1, 'is required (postgres://user:pass@host:5432/db)'),
  /** PEM text of the CA that signs the database server certificate (Supabase: its own CA). */
  DATABASE_CA_CERT: optionalSecret,
  /** auto: TLS as sslmode, DATABASE_CA_CERT and the host say (production refuses plaintext to another machine); disable: plaintext on purpose (a private network). */
  DATABASE_SSL: z.enum(['auto', 'disable']).default('auto'),
  // A worker's default is what its queues can use at once (worker-sizing.ts), so jobs never queue for a connection.
  /** Largest number of pooled database connections per process (default: 10 for the API, 28 for a worker running every queue). */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).optional(),
  /** Server-side statement_timeout of every pooled connection (API and workers; migrations have none); 0 leaves the server's setting. */
  DATABASE_STATEMENT_TIMEOUT_MS: intFrom(30_000, 0, 3_600_000),
  /** Redis URL for queues, locks and pub/sub. */
  REDIS_URL: z.string().min(1).default(DEFAULT_REDIS_URL),
  /** HTTP port of the API. */
  PORT: intFrom(3000, 0, 65535),
  /** ThingSpeak read API base URL (the local simulator in development and tests). */
  THINGSPEAK_BASE_URL: z.string().url().default(DEFAULT_THINGSPEAK_BASE_URL),
  /** Timeout of one ThingSpeak HTTP request. */
  THINGSPEAK_TIMEOUT_MS: intFrom(10_000, 100, 120_000),
  /** Share of polls failing with ThingSpeak 5xx, timeouts or network errors above which ThingSpeak counts as out (system.degraded, dependency thingspeak). */
  THINGSPEAK_OUTAGE_RATIO: z.coerce.number().gt(0).lt(1).default(0.5),
  /** How long that share must stay above THINGSPEAK_OUTAGE_RATIO before the outage is announced. */
  THINGSPEAK_OUTAGE_MS: intFrom(300_000, 500, 3_600_000),
  /** Bootstraps a superadmin API key with this value at API start. Required in production. */
  ADMIN_API_KEY: optionalSecret,
  // Revocation reaches every API process at once through Redis pub/sub; the TTL bounds staleness if Redis cannot tell them.
  /** How long an API process trusts a key it has checked before asking the database again (0: every request asks). */
  API_KEY_CACHE_MS: intFrom(10_000, 0, 300_000),
  // Each running export holds one pooled connection (and its cursor) until it ends: the cap keeps them from taking the API's pool.
  /** CSV exports one API process runs at once (readings.csv, alerts.csv); past it a new one gets 503 with Retry-After. */
  EXPORT_MAX_CONCURRENT: intFrom(2, 1, 50),
  /** Longest a CSV export may run (its cursor's statement timeout, replacing DATABASE_STATEMENT_TIMEOUT_MS for it); a slower one is cut off. */
  EXPORT_TIMEOUT_MS: intFrom(900_000, 1_000, 86_400_000),
  // Render's load balancer appends the caller's address to X-Forwarded-For and is the one proxy in
  // front of a web service. Trusting more hops than exist lets a client choose its address (and so
  // its rate-limit bucket) by sending X-Forwarded-For itself; trusting fewer makes every client the proxy.
  /** Proxies in front of the API whose X-Forwarded-For names the client: a hop count (1 on Render, 0 when clients connect directly) or a comma-separated list of proxy addresses/subnets. */
  TRUST_PROXY: z
    .string()
    .trim()
    .refine(isTrustProxy, 'must be a hop count (0, 1, ...) or a comma-separated list of proxy addresses or subnets ("true" is refused: it would believe any X-Forwarded-For a client sends)')
    .default('1'),
  /** Turns every API rate limit off (benchmarks only): "false" or "true". */
  RATE_LIMIT_ENABLED: z.enum(['true', 'false']).default('true'),
  /** Requests per minute from one client address (IPv6: its /64) to /api/v1, /admin/queues and /metrics, checked before authentication. */
  RATE_LIMIT_PER_IP_PER_MINUTE: intFrom(2_400, 1, 10_000_000),
  /** Failed authentications (401) per minute from one client address; past it the address gets 429 without a key lookup until the minute ends. */
  RATE_LIMIT_FAILED_AUTH_PER_MINUTE: intFrom(30, 1, 10_000_000),
  /** Requests per minute with one API key to /api/v1, across every API process. */
  RATE_LIMIT_PER_KEY_PER_MINUTE: intFrom(1_200, 1, 10_000_000),
  /** Webhook test sends (POST /api/v1/webhooks/:id/test) per minute per API key. */
  RATE_LIMIT_WEBHOOK_TESTS_PER_MINUTE: intFrom(10, 1, 10_000_000),
  /** WebSocket tickets minted (POST /api/v1/ws/tickets) per minute per API key. */
  RATE_LIMIT_WS_TICKETS_PER_MINUTE: intFrom(60, 1, 10_000_000),
  /** API keys created (POST /api/v1/api-keys) per minute per API key. */
  RATE_LIMIT_KEY_CREATION_PER_MINUTE: intFrom(10, 1, 10_000_000),
  /** How long an API process may count requests itself before adding them to the shared Redis counts (0: every request waits for Redis); from 80 % of a quota every request is counted in Redis first. */
  RATE_LIMIT_SYNC_MS: intFrom(100, 0, 5_000),
  /** 32 bytes, base64 or hex: encrypts ThingSpeak read keys at rest. Required in production. */
  ENCRYPTION_KEY: optionalSecret,
  /** Comma-separated old ENCRYPTION_KEYs still accepted for decryption (never for encryption) while `npm run rotate-encryption-key` re-encrypts under the current one. */
  ENCRYPTION_KEYS_PREVIOUS: optionalSecret,
  /** How often the poll tick fans out one poll job per active channel. */
  POLL_INTERVAL_MS: intFrom(60_000, 1_000),
  // Polls mostly wait for ThingSpeak and hold no database connection meanwhile (commits are batched),
  // so this is sized for ThingSpeak's latency: 200 in flight at 300 ms per answer is ~600 polls/s.
  /** How many poll jobs one worker process runs at once. */
  POLL_CONCURRENCY: intFrom(200, 1, 2_000),
  // 10k channels a minute is 167 polls/s; the cap leaves headroom and still protects ThingSpeak from a stampede.
  /** Poll jobs started per second across all workers (BullMQ's global limiter): politeness to ThingSpeak. */
  POLL_MAX_PER_SECOND: intFrom(1_000, 1, 10_000),
  /** After ThingSpeak's 429s or a busy database pool halve the poll rate, how long it takes to climb back from 0 to POLL_MAX_PER_SECOND. */
  POLL_RATE_RECOVERY_MS: intFrom(60_000, 100, 3_600_000),
  /** How far before the previous fetch a poll looks again, to catch entries written late. */
  POLL_OVERLAP_MS: intFrom(300_000, 0),
  /** /health turns degraded when the poll queue holds more failed jobs than this. */
  HEALTH_FAILED_POLLS_DEGRADED: intFrom(100, 0),
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
  /** How often each worker checks the breaker (probe due, queue pause agrees with the state) and that its queues' job schedulers exist in Redis. */
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
  // Webhooks are created by tenants: without this, none may reach loopback, private, link-local (cloud metadata) or other non-public addresses.
  /** Comma-separated CIDRs that webhooks may reach although not public (on-premise receivers), e.g. 10.20.0.0/16; empty: public addresses only. */
  WEBHOOK_ALLOWED_PRIVATE_CIDRS: z.string().default(''),
  /** First wait before a failed webhook delivery is retried; doubles per attempt (with jitter), 10 attempts in all. */
  NOTIFY_BACKOFF_MS: intFrom(5_000, 10, 3_600_000),
  /** Interval between WebSocket pings; a client that missed the previous pong is dropped. */
  WS_HEARTBEAT_MS: intFrom(30_000, 100),
  /** A WebSocket client with more unsent bytes than this is too slow and is disconnected. */
  WS_MAX_BUFFERED_BYTES: intFrom(1_048_576, 1_024),
  /** Window over which node status changes are batched into BATCH_STATUS_UPDATE. */
  WS_BATCH_MS: intFrom(1_000, 0, 60_000),
  // Revocations reach every process at once over Redis; this catches the ones that announcement missed, and expiries.
  /** How often each API process re-checks the API keys of its open live sockets, closing those revoked or expired. */
  LIVE_KEY_RECHECK_MS: intFrom(300_000, 100, 3_600_000),
  /** Longest life of one live socket (closed with 4408, up to 10% early); the client reconnects with a new ticket. */
  LIVE_MAX_AGE_MS: intFrom(86_400_000, 1_000, 7 * 86_400_000),
  // Caps on what one tenant can pile up; each applies to every role, superadmin included (raise it here).
  /** Alert rules per community; one more is refused with 409 TENANT_LIMIT_REACHED. */
  TENANT_MAX_ALERT_RULES_PER_COMMUNITY: intFrom(200, 1, 1_000_000),
  /** Maintenance windows not yet ended (in force or future) per community; one more is refused with 409 TENANT_LIMIT_REACHED. */
  TENANT_MAX_MAINTENANCE_WINDOWS_PER_COMMUNITY: intFrom(50, 1, 1_000_000),
  /** Webhook subscriptions per community (distributor-wide ones count per distributor, global ones together); one more is refused with 409 TENANT_LIMIT_REACHED. */
  TENANT_MAX_WEBHOOKS_PER_COMMUNITY: intFrom(20, 1, 1_000_000),
  /** Open live WebSockets per API key, counted across every API process through Redis; one more upgrade is refused with 409 TENANT_LIMIT_REACHED. */
  TENANT_MAX_LIVE_SOCKETS_PER_KEY: intFrom(20, 1, 1_000_000),
  /** Supabase project URL (https://<ref>.supabase.co; http only on loopback): its access tokens are accepted as users, verified against ${SUPABASE_URL}/auth/v1/.well-known/jwks.json; empty: API keys only. */
  SUPABASE_URL: z.string().trim().optional(),
  /** Legacy Supabase JWT secret: HS256 access tokens are accepted too when set (needs SUPABASE_URL for the issuer). */
  SUPABASE_JWT_SECRET: optionalSecret,
  /** The `aud` an accepted access token must carry. */
  SUPABASE_JWT_AUDIENCE: z.string().trim().min(1).default('authenticated'),
  /** Least time between two fetches of the JWKS that a token with an unknown key id may trigger (rate limit of refetches). */
  SUPABASE_JWKS_COOLDOWN_MS: intFrom(30_000, 0, 3_600_000),
  /** "true": a signed-in user unknown here is provisioned from the token's app_metadata.evara {role, distributorId | communityId} (only Supabase's service role can write it). */
  AUTH_TRUST_APP_METADATA: z.enum(['true', 'false']).default('false'),
  /** How often each API process re-reads the users of its open live sockets, closing those deleted, disabled or re-scoped (at most 15 s). */
  LIVE_USER_RECHECK_MS: intFrom(10_000, 100, 15_000),
  /** Comma-separated browser origins (scheme://host[:port], exact) allowed to call the API cross-origin (CORS); empty: none. */
  CORS_ORIGINS: z.string().default(''),
  /** Readings older than this many days are deleted by the daily retention job. */
  RETENTION_READINGS_DAYS: intFrom(30, 1),
  /** Resolved alerts (and their notifications) older than this many days are deleted. */
  RETENTION_ALERTS_DAYS: intFrom(90, 1),
  /** Audit log entries older than this many days are deleted. */
  RETENTION_AUDIT_DAYS: intFrom(365, 1),
  /** Daily rollups of readings older than this many days are deleted (kept longer than raw readings). */
  RETENTION_ROLLUPS_DAYS: intFrom(730, 1),
  /** Hourly rollups older than this many days are deleted (at most RETENTION_ROLLUPS_DAYS; 24 rows a day per metric, so kept shorter). */
  RETENTION_HOURLY_ROLLUPS_DAYS: intFrom(90, 1),
  /** How often the update-rollups job folds newly stored readings into the hourly and daily rollups (maintenance queue). */
  ROLLUP_EVERY_MS: intFrom(30_000, 100),
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
  /** Address the worker's metrics server binds (default: 0.0.0.0 with METRICS_TOKEN set, else 127.0.0.1); production refuses a non-loopback address without METRICS_TOKEN. */
  WORKER_METRICS_HOST: z.string().trim().min(1).optional(),
  // Tracing: the standard OpenTelemetry variables (README "Tracing"); NodeSDK reads them, and any other OTEL_* it knows.
  /** OTLP base URL of a collector or tracing vendor (http://collector:4318 for OTLP/HTTP); unset: tracing off and the OpenTelemetry SDK not even loaded. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** Full URL for traces only (…/v1/traces), instead of OTEL_EXPORTER_OTLP_ENDPOINT; setting it also turns tracing on. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  /** http/protobuf (the SDK's default), http/json or grpc (gRPC wants port 4317). */
  OTEL_EXPORTER_OTLP_PROTOCOL: optionalText.pipe(z.enum(['http/protobuf', 'http/json', 'grpc']).optional()),
  /** Headers sent with every export, comma-separated key=value (a vendor's API key); a secret, never logged. */
  OTEL_EXPORTER_OTLP_HEADERS: optionalSecret,
  /** service.name of the spans (default: evara-api for the API, evara-worker for workers). */
  OTEL_SERVICE_NAME: optionalText,
  /** Extra resource attributes, comma-separated key=value (deployment.environment.name=production,service.version=...). */
  OTEL_RESOURCE_ATTRIBUTES: optionalText,
  /** Which traces are kept: parentbased_always_on (default), parentbased_traceidratio, traceidratio, always_on, always_off, parentbased_always_off. */
  OTEL_TRACES_SAMPLER: optionalText.pipe(
    z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']).optional(),
  ),
  /** Fraction of traces the *traceidratio samplers keep, 0..1 (e.g. 0.1). */
  OTEL_TRACES_SAMPLER_ARG: optionalText.refine((v) => v === undefined || (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 1), 'must be a number from 0 to 1'),
  /** Longest wait in ms before buffered spans are exported (the SDK's default: 5000). */
  OTEL_BSP_SCHEDULE_DELAY: optionalText.refine((v) => v === undefined || /^\d+$/.test(v), 'must be a whole number of milliseconds'),
  /** "true" turns tracing off even with an endpoint set. */
  OTEL_SDK_DISABLED: optionalText.pipe(z.enum(['true', 'false']).optional()),
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
  readonly db: NormalisedDatabaseUrl & { readonly url: string; readonly poolMax: number; readonly statementTimeoutMs: number };
  readonly redis: { readonly url: string };
  /** trustProxy: what Express's 'trust proxy' gets (a hop count, or the proxies' addresses). */
  readonly api: { readonly port: number; readonly adminApiKey?: string; readonly keyCacheMs: number; readonly trustProxy: number | readonly string[] };
  readonly export: { readonly maxConcurrent: number; readonly timeoutMs: number };
  readonly thingspeak: { readonly baseUrl: string; readonly timeoutMs: number; readonly outageRatio: number; readonly outageMs: number };
  readonly poll: { readonly intervalMs: number; readonly concurrency: number; readonly overlapMs: number; readonly maxPerSecond: number; readonly rateRecoveryMs: number };
  readonly queues: { readonly prefix: string };
  readonly health: { readonly failedPollsDegraded: number };
  readonly worker: { readonly queues: readonly QueueName[]; readonly lockMs: number; readonly parkMs: number };
  readonly circuit: { readonly failureThreshold: number; readonly probeBaseMs: number; readonly probeMaxMs: number; readonly checkMs: number; readonly rampMs: number };
  readonly alerts: { readonly catchUpAgeMs: number; readonly sweepMs: number; readonly accessLostAfter: number; readonly dataQualityMs: number };
  readonly notifications: { readonly relayMs: number; readonly webhookTimeoutMs: number; readonly backoffMs: number; readonly webhookAllowedPrivateCidrs: readonly Cidr[] };
  readonly ws: { readonly heartbeatMs: number; readonly maxBufferedBytes: number; readonly batchMs: number; readonly keyRecheckMs: number; readonly userRecheckMs: number; readonly maxAgeMs: number };
  /** Supabase sign-in (auth/user-tokens.ts); undefined when neither SUPABASE_URL nor SUPABASE_JWT_SECRET is set. */
  readonly userAuth?: UserAuthConfig;
  /** Browser origins allowed by CORS (exact, normalised); empty: CORS off. */
  readonly corsOrigins: readonly string[];
  /** Per-tenant caps (TENANT_MAX_*; see src/shared/tenancy/tenant-limits.ts). */
  readonly tenantLimits: { readonly alertRulesPerCommunity: number; readonly maintenanceWindowsPerCommunity: number; readonly webhooksPerCommunity: number; readonly liveSocketsPerKey: number };
  readonly retention: { readonly readingsDays: number; readonly alertsDays: number; readonly auditDays: number; readonly rollupsDays: number; readonly hourlyRollupsDays: number; readonly batchSize: number; readonly cron: string };
  /** Hourly and daily rollups of readings (src/shared/rollups). */
  readonly rollups: { readonly everyMs: number };
  /** ENCRYPTION_KEY seals; it and ENCRYPTION_KEYS_PREVIOUS open (crypto/secret-keyring.ts). */
  readonly encryptionKey: SecretKeyring;
  readonly shutdownTimeoutMs: number;
  readonly dbInit: { readonly attempts: number; readonly backoffMs: number };
  /** Prometheus /metrics: who may read it and where each worker serves it. */
  readonly metrics: { readonly token?: string; readonly workerPort: number; readonly workerHost: string };
  /** API rate limits, each per minute (see src/api/rate-limit/). */
  readonly rateLimit: {
    readonly enabled: boolean;
    readonly perIp: number;
    readonly failedAuthPerIp: number;
    readonly perKey: number;
    readonly webhookTests: number;
    readonly wsTickets: number;
    readonly keyCreation: number;
    /** Milliseconds counts may wait in a process before they reach Redis (0: none). */
    readonly syncMs: number;
  };
  /** OpenTelemetry tracing (src/shared/telemetry/): on when an OTLP endpoint is set. The SDK reads its OTEL_* variables itself. */
  readonly tracing: { readonly enabled: boolean; readonly endpoint?: string; readonly protocol: string; readonly serviceName: string; readonly sampler: string; readonly headers: boolean };
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

/** "1" -> 1 hop; "loopback, 10.0.0.0/8" -> the proxies' addresses, as Express's 'trust proxy' takes them. */
function parseTrustProxy(raw: string): number | readonly string[] {
  if (/^\d+$/.test(raw)) return Number(raw);
  return Object.freeze(raw.split(',').map((s) => s.trim()).filter(Boolean));
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

export interface UserAuthConfig {
  /** The project URL without a trailing slash; undefined only with SUPABASE_JWT_SECRET alone (refused: the issuer is needed). */
  readonly supabaseUrl: string;
  /** `${supabaseUrl}/auth/v1`: the iss every token must carry. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audience: string;
  readonly jwtSecret?: string;
  readonly jwksCooldownMs: number;
  readonly trustAppMetadata: boolean;
}

/** SUPABASE_URL must be https (http only on loopback: the Supabase CLI serves http://127.0.0.1:54321), with no path, query or credentials. */
export function supabaseUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'SUPABASE_URL: is not a valid URL (expected https://<project-ref>.supabase.co)';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return 'SUPABASE_URL: must be https:// (plain http is accepted only for loopback hosts such as the Supabase CLI on http://127.0.0.1:54321)';
  }
  if (url.username || url.password) return 'SUPABASE_URL: must not contain credentials';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return 'SUPABASE_URL: must be the project URL only (no path such as /auth/v1, no query)';
  return undefined;
}

function parseUserAuth(e: z.infer<typeof envSchema>, problems: string[]): UserAuthConfig | undefined {
  const raw = e.SUPABASE_URL && e.SUPABASE_URL !== '' ? e.SUPABASE_URL : undefined;
  if (!raw) {
    if (e.SUPABASE_JWT_SECRET) problems.push('SUPABASE_URL: is required with SUPABASE_JWT_SECRET (tokens are checked against its issuer, <SUPABASE_URL>/auth/v1)');
    return undefined;
  }
  const problem = supabaseUrlProblem(raw);
  if (problem) {
    problems.push(problem);
    return undefined;
  }
  if (e.SUPABASE_JWT_SECRET && e.SUPABASE_JWT_SECRET.length < 32) problems.push('SUPABASE_JWT_SECRET: must be at least 32 characters (Supabase\'s JWT secret is 40 or more)');
  const supabaseUrl = new URL(raw).origin;
  return Object.freeze({
    supabaseUrl,
    issuer: `${supabaseUrl}/auth/v1`,
    jwksUrl: `${supabaseUrl}/auth/v1/.well-known/jwks.json`,
    audience: e.SUPABASE_JWT_AUDIENCE,
    jwtSecret: e.SUPABASE_JWT_SECRET,
    jwksCooldownMs: e.SUPABASE_JWKS_COOLDOWN_MS,
    trustAppMetadata: e.AUTH_TRUST_APP_METADATA === 'true',
  });
}

/** "https://app.example.com, http://localhost:5173" -> exact origins; a path, wildcard or "null" is a problem. */
function parseCorsOrigins(raw: string): { origins: string[]; problems: string[] } {
  const origins: string[] = [];
  const problems: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    // A browser sends the origin exactly as URL.origin spells it: anything more (a path, "*") would never match.
    const exact = url && !item.includes('*') && (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === item.replace(/\/$/, '').toLowerCase();
    if (!url || !exact) {
      problems.push(`CORS_ORIGINS: "${item}" is not an exact origin (scheme://host[:port], no path, no wildcard)`);
      continue;
    }
    origins.push(url.origin);
  }
  return { origins: [...new Set(origins)], problems };
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
    db = normaliseDatabaseUrl(e.DATABASE_URL, e.DATABASE_CA_CERT, { setting: e.DATABASE_SSL, production: e.NODE_ENV === 'production' });
    warnings.push(...db.warnings);
  } catch (err) {
    problems.push(`${err instanceof DatabaseTlsError ? err.variable : 'DATABASE_URL'}: ${(err as Error).message}`);
  }
  try {
    const r = new URL(e.REDIS_URL);
    if (r.protocol !== 'redis:' && r.protocol !== 'rediss:') problems.push('REDIS_URL: must start with redis:// or rediss://');
  } catch {
    problems.push('REDIS_URL: is not a valid URL');
  }

  const queues = parseQueues(e.WORKER_QUEUES);
  const webhookCidrs = parseCidrList(e.WEBHOOK_ALLOWED_PRIVATE_CIDRS);
  for (const p of webhookCidrs.problems) problems.push(`WEBHOOK_ALLOWED_PRIVATE_CIDRS: ${p}`);
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
  const previousKeys = (e.ENCRYPTION_KEYS_PREVIOUS ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(parseEncryptionKey);
  if (previousKeys.some((k) => !k)) problems.push('ENCRYPTION_KEYS_PREVIOUS: each comma-separated key must be 32 bytes as base64 (44 chars) or hex (64 chars)');

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

  const metricsBind = resolveWorkerMetricsHost({ host: e.WORKER_METRICS_HOST, token: e.METRICS_TOKEN, production: e.NODE_ENV === 'production' });
  if (metricsBind.problem) problems.push(metricsBind.problem);
  if (metricsBind.warning) warnings.push(metricsBind.warning);

  const userAuth = parseUserAuth(e, problems);
  const cors = parseCorsOrigins(e.CORS_ORIGINS);
  problems.push(...cors.problems);

  if (problems.length > 0 || !db || !queues.queues) throw new ConfigError(problems);

  const poolNeeded = role === 'worker' ? databaseConnectionsNeeded(queues.queues) : 10;
  const poolMax = e.DATABASE_POOL_MAX ?? poolNeeded;
  const shortfall = role === 'worker' ? poolShortfall(queues.queues, poolMax) : undefined;
  if (shortfall) warnings.push(shortfall);

  return Object.freeze({
    role,
    env: e.NODE_ENV,
    version: e.APP_VERSION ?? e.RENDER_GIT_COMMIT?.slice(0, 12) ?? 'dev',
    logLevel: e.LOG_LEVEL,
    db: Object.freeze({ ...db, url: e.DATABASE_URL, poolMax, statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS }),
    redis: Object.freeze({ url: e.REDIS_URL }),
    api: Object.freeze({ port: e.PORT, adminApiKey: e.ADMIN_API_KEY, keyCacheMs: e.API_KEY_CACHE_MS, trustProxy: parseTrustProxy(e.TRUST_PROXY) }),
    export: Object.freeze({ maxConcurrent: e.EXPORT_MAX_CONCURRENT, timeoutMs: e.EXPORT_TIMEOUT_MS }),
    thingspeak: Object.freeze({ baseUrl: e.THINGSPEAK_BASE_URL.replace(/\/+$/, ''), timeoutMs: e.THINGSPEAK_TIMEOUT_MS, outageRatio: e.THINGSPEAK_OUTAGE_RATIO, outageMs: e.THINGSPEAK_OUTAGE_MS }),
    poll: Object.freeze({ intervalMs: e.POLL_INTERVAL_MS, concurrency: e.POLL_CONCURRENCY, overlapMs: e.POLL_OVERLAP_MS, maxPerSecond: e.POLL_MAX_PER_SECOND, rateRecoveryMs: e.POLL_RATE_RECOVERY_MS }),
    queues: Object.freeze({ prefix: e.QUEUE_PREFIX }),
    health: Object.freeze({ failedPollsDegraded: e.HEALTH_FAILED_POLLS_DEGRADED }),
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
    notifications: Object.freeze({
      relayMs: e.NOTIFY_RELAY_MS,
      webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      backoffMs: e.NOTIFY_BACKOFF_MS,
      webhookAllowedPrivateCidrs: Object.freeze(webhookCidrs.cidrs.map((c) => Object.freeze(c))),
    }),
    ws: Object.freeze({
      heartbeatMs: e.WS_HEARTBEAT_MS,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      batchMs: e.WS_BATCH_MS,
      keyRecheckMs: e.LIVE_KEY_RECHECK_MS,
      userRecheckMs: e.LIVE_USER_RECHECK_MS,
      maxAgeMs: e.LIVE_MAX_AGE_MS,
    }),
    tenantLimits: Object.freeze({
      alertRulesPerCommunity: e.TENANT_MAX_ALERT_RULES_PER_COMMUNITY,
      maintenanceWindowsPerCommunity: e.TENANT_MAX_MAINTENANCE_WINDOWS_PER_COMMUNITY,
      webhooksPerCommunity: e.TENANT_MAX_WEBHOOKS_PER_COMMUNITY,
      liveSocketsPerKey: e.TENANT_MAX_LIVE_SOCKETS_PER_KEY,
    }),
    retention: Object.freeze({
      readingsDays: e.RETENTION_READINGS_DAYS,
      alertsDays: e.RETENTION_ALERTS_DAYS,
      auditDays: e.RETENTION_AUDIT_DAYS,
      rollupsDays: e.RETENTION_ROLLUPS_DAYS,
      hourlyRollupsDays: e.RETENTION_HOURLY_ROLLUPS_DAYS,
      batchSize: e.RETENTION_BATCH_SIZE,
      cron: e.RETENTION_CRON,
    }),
    rollups: Object.freeze({ everyMs: e.ROLLUP_EVERY_MS }),
    userAuth,
    corsOrigins: Object.freeze(cors.origins),
    encryptionKey: createKeyring(encryptionKey, previousKeys as Buffer[]),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    dbInit: Object.freeze({ attempts: e.DB_INIT_ATTEMPTS, backoffMs: e.DB_INIT_BACKOFF_MS }),
    metrics: Object.freeze({ token: e.METRICS_TOKEN, workerPort: e.WORKER_METRICS_PORT, workerHost: metricsBind.host }),
    rateLimit: Object.freeze({
      enabled: e.RATE_LIMIT_ENABLED === 'true',
      perIp: e.RATE_LIMIT_PER_IP_PER_MINUTE,
      failedAuthPerIp: e.RATE_LIMIT_FAILED_AUTH_PER_MINUTE,
      perKey: e.RATE_LIMIT_PER_KEY_PER_MINUTE,
      webhookTests: e.RATE_LIMIT_WEBHOOK_TESTS_PER_MINUTE,
      wsTickets: e.RATE_LIMIT_WS_TICKETS_PER_MINUTE,
      keyCreation: e.RATE_LIMIT_KEY_CREATION_PER_MINUTE,
      syncMs: e.RATE_LIMIT_SYNC_MS,
    }),
    tracing: Object.freeze({
      enabled: isTracingConfigured(env),
      endpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT,
      protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
      serviceName: e.OTEL_SERVICE_NAME ?? `evara-${role}`,
      sampler: e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
      headers: e.OTEL_EXPORTER_OTLP_HEADERS !== undefined,
    }),
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
      statementTimeoutMs: config.db.statementTimeoutMs,
    },
    redis: maskUrl(config.redis.url),
    thingspeak: config.thingspeak.baseUrl,
    poll: config.poll,
    queuePrefix: config.queues.prefix,
    workerQueues: config.worker.queues,
    webhookAllowedPrivateCidrs: config.notifications.webhookAllowedPrivateCidrs.map(formatCidr),
    adminApiKey: config.api.adminApiKey ? 'set' : 'not set',
    // Ids, not keys (crypto/secret-keyring.ts): shows which keys a process holds during a rotation.
    encryptionKeyIds: { current: config.encryptionKey.current.id, previous: config.encryptionKey.previous.map((k) => k.id) },
    trustProxy: config.api.trustProxy,
    rateLimit: config.rateLimit,
    tenantLimits: config.tenantLimits,
    tracing: config.tracing.enabled
      ? { ...config.tracing, endpoint: config.tracing.endpoint && maskUrl(config.tracing.endpoint), headers: config.tracing.headers ? 'set' : 'not set' }
      : { enabled: false },
    userAuth: config.userAuth
      ? { issuer: config.userAuth.issuer, audience: config.userAuth.audience, legacySecret: config.userAuth.jwtSecret ? 'set' : 'not set', trustAppMetadata: config.userAuth.trustAppMetadata }
      : 'off (API keys only)',
    corsOrigins: config.corsOrigins,
  };
}

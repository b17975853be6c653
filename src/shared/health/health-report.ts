import type { Core } from '../core';
import { checkDatabase, checkRedis, type DependencyStatus } from './dependency-checks';
import { thingspeakLastSuccessKey } from './health-keys';
import { QUEUE_NAMES, type QueueName } from '../queues/queue-names';
import { poolStats } from '../db/db-status';
import { readDatabaseBusy } from './db-busy';
import { readThingSpeakStatus } from '../thingspeak/outage-monitor';

const CHECK_TIMEOUT_MS = 1_500;

export type OverallStatus = 'ok' | 'degraded' | 'down';

export type QueueHealth = { paused: boolean; waiting: number; active: number; delayed: number; failed: number } | { error: string };

export interface HealthReport {
  status: OverallStatus;
  /** Why the status is not ok, in short words free of driver text (e.g. "poll queue: 123 failed jobs (threshold 100)"); empty when ok. */
  reasons: string[];
  services: {
    /** busy: the server answers but a process's connection pool is full (jobs wait; not an outage). */
    database: Omit<DependencyStatus, 'status'> & { status: 'up' | 'busy' | 'down' };
    redis: DependencyStatus;
    /** outage: most polls fail with 5xx, timeouts or network errors (THINGSPEAK_OUTAGE_*). */
    thingspeak: { status: 'up' | 'stale' | 'outage' | 'unknown'; lastSuccessAt: string | null };
    circuit: { state: 'closed' | 'open' | 'half_open' | 'unknown'; failures: number | null; openedAt: string | null; nextProbeAt: string | null };
    /** Depths of every queue (poll-control holds only the tick). */
    queues: Record<QueueName, QueueHealth>;
  };
  version: string;
  uptime: number;
  checkedAt: string;
}

async function orUndefined<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), CHECK_TIMEOUT_MS)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/**
 * The dependency report behind GET /health: every check has a short deadline, and Redis-held
 * facts (breaker, queue, last ThingSpeak success) are simply "unknown" when Redis is down.
 * ok: all fine. degraded: usable but something is wrong. down: neither database nor Redis answers.
 */
export async function buildHealthReport(core: Core, startedAt: number): Promise<HealthReport> {
  const prefix = core.config.queues.prefix;
  const [dbCheck, redis, circuit, queueList, lastTs, busyElsewhere, outage] = await Promise.all([
    checkDatabase(core.db, CHECK_TIMEOUT_MS),
    checkRedis(core.redis, CHECK_TIMEOUT_MS),
    orUndefined(core.breaker.publicState()),
    Promise.all(QUEUE_NAMES.map((name) => queueHealth(core, name))),
    orUndefined(core.redis.get(thingspeakLastSuccessKey(prefix))),
    orUndefined(readDatabaseBusy(core.redis, prefix)),
    orUndefined(readThingSpeakStatus(core.redis, prefix)),
  ]);
  // This process's own check may fail only because its pool is full: ask the server directly.
  const busyHere = dbCheck.status === 'down' && poolStats(core.db).waiting > 0 && (await orUndefined(core.poolPressure.serverAnswers())) === true;
  const busy = busyHere ? core.config.role : busyElsewhere?.service;
  const database: HealthReport['services']['database'] = busy !== undefined ? { ...dbCheck, status: 'busy' } : dbCheck;
  const queues = Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, queueList[i]!])) as Record<QueueName, QueueHealth>;
  const lastSuccess = lastTs ? Number(lastTs) : null;
  const staleAfterMs = core.config.poll.intervalMs * 3;
  const thingspeak = {
    status: outage === 'outage' ? ('outage' as const) : lastSuccess === null ? ('unknown' as const) : Date.now() - lastSuccess <= staleAfterMs ? ('up' as const) : ('stale' as const),
    lastSuccessAt: iso(lastSuccess),
  };
  const circuitView = circuit
    ? { state: circuit.publicState, failures: circuit.failures, openedAt: iso(circuit.openedAt), nextProbeAt: iso(circuit.nextProbeAt) }
    : { state: 'unknown' as const, failures: null, openedAt: null, nextProbeAt: null };

  const reasons: string[] = [];
  if (database.status === 'down') reasons.push('database down');
  if (database.status === 'busy') reasons.push(`database busy: the ${busy} connection pool is full (the database answers; jobs wait, polling slows)`);
  if (redis.status === 'down') reasons.push('Redis down');
  if (circuitView.state !== 'closed') reasons.push(`circuit breaker ${circuitView.state}`);
  if (thingspeak.status === 'stale') reasons.push('ThingSpeak data stale');
  if (thingspeak.status === 'outage') reasons.push('ThingSpeak outage: most polls fail (5xx, timeouts, network)');
  // Failed poll jobs pile up when channels keep failing past their retries (or workers crash on them).
  const failedPolls = queueFailed(queues.poll);
  const failedThreshold = core.config.health.failedPollsDegraded;
  const tooManyFailedPolls = failedPolls !== undefined && failedPolls > failedThreshold;
  if (tooManyFailedPolls) reasons.push(`poll queue: ${failedPolls} failed jobs (threshold ${failedThreshold})`);

  let status: OverallStatus = 'ok';
  if (database.status === 'down' && redis.status === 'down') status = 'down';
  else if (database.status !== 'up' || redis.status === 'down' || circuitView.state !== 'closed' || thingspeak.status === 'stale' || thingspeak.status === 'outage' || tooManyFailedPolls) status = 'degraded';

  return {
    status,
    reasons,
    services: { database, redis, thingspeak, circuit: circuitView, queues },
    version: core.config.version,
    uptime: Math.round((Date.now() - startedAt) / 1000),
    checkedAt: new Date().toISOString(),
  };
}

const queueFailed = (q: QueueHealth): number | undefined => ('failed' in q ? q.failed : undefined);

async function queueHealth(core: Core, name: QueueName): Promise<QueueHealth> {
  const queue = core.queues[name];
  const [counts, paused] = await Promise.all([orUndefined(queue.getJobCounts('waiting', 'active', 'delayed', 'failed')), orUndefined(queue.isPaused())]);
  if (!counts || paused === undefined) return { error: 'queue state unavailable' };
  return { paused, waiting: counts.waiting ?? 0, active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 };
}

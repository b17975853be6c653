import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../test/helpers/wait-for';
import { freePort, procMemoryMiB, REPO_ROOT, startChild, type BenchChild } from './child-process';

/**
 * The worker under test: package.json's `start:worker` (the compiled entry with its heap cap, as
 * Render runs it; `npm run bench:poll` builds first). BENCH_WORKER_TSX=1 runs the TypeScript
 * through tsx instead, to compare; BENCH_WORKER_CPU_PROF=<dir> writes a V8 CPU profile there (Node
 * refuses --cpu-prof in NODE_OPTIONS); BENCH_WORKER_NODE_FLAGS replaces the start script's Node
 * flags ('' runs with V8's own heap sizing).
 */
const PROFILE = process.env.BENCH_WORKER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_CPU_PROF}`] : [];
const START_WORKER = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:worker']!.split(' ');
const NODE_FLAGS = process.env.BENCH_WORKER_NODE_FLAGS !== undefined ? process.env.BENCH_WORKER_NODE_FLAGS.split(' ').filter(Boolean) : START_WORKER.slice(1, -1);
export const WORKER_COMMAND: readonly string[] =
  process.env.BENCH_WORKER_TSX === '1' ? [process.execPath, ...PROFILE, '--import', 'tsx', 'src/workers/main.ts'] : [process.execPath, ...PROFILE, ...NODE_FLAGS, START_WORKER.at(-1)!];

export interface WorkerSettings {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  thingspeakBaseUrl: string;
  queues: string;
  /** Mode-specific settings (e.g. POLL_INTERVAL_MS); BENCH_WORKER_ENV_* overrides win over them. */
  env?: Record<string, string>;
  overrides: Record<string, string>;
}

/** Sums of the metric samples with this name (all label sets), from Prometheus text. */
export function metricSum(text: string, name: string, labelFilter?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export interface WorkerMetrics {
  polled: number;
  skipped: number;
  failed: number;
  readingsStored: number;
  pollSecondsSum: number;
  pollSecondsCount: number;
  heapUsedMiB: number;
  rssMiB: number;
}

export interface PollWorker {
  process: BenchChild;
  scrape(): Promise<WorkerMetrics>;
  memory(): Promise<{ rss: number; peak: number } | undefined>;
  stop(): Promise<void>;
}

export async function startPollWorker(s: WorkerSettings): Promise<PollWorker> {
  const metricsPort = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: s.databaseUrl,
    REDIS_URL: s.redisUrl,
    QUEUE_PREFIX: s.queuePrefix,
    THINGSPEAK_BASE_URL: s.thingspeakBaseUrl,
    WORKER_QUEUES: s.queues,
    WORKER_METRICS_PORT: String(metricsPort),
    WORKER_METRICS_HOST: '127.0.0.1',
    // Fail at once instead of starting degraded if the proxy or database is wrong.
    DB_INIT_ATTEMPTS: '1',
    ...s.env,
    ...s.overrides,
  };
  const [command, ...args] = WORKER_COMMAND;
  const child = startChild(command!, args, env);
  const url = `http://127.0.0.1:${metricsPort}/metrics`;

  async function fetchMetrics(): Promise<string> {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`worker /metrics answered ${res.status}`);
    return res.text();
  }

  // /metrics is served once every queue's worker is ready: that is the start signal.
  await waitFor(
    async () => {
      if (child.hasExited()) throw new Error(`worker exited at start: ${child.tail().join('\n')}`);
      return (await fetchMetrics().catch(() => '')) !== '';
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the worker to serve /metrics' },
  ).catch(async (err: unknown) => {
    await child.stop(5_000);
    throw new Error(`${(err as Error).message}\nworker output:\n${child.tail().join('\n')}`);
  });

  return {
    process: child,
    async scrape() {
      const text = await fetchMetrics();
      return {
        polled: metricSum(text, 'evara_polls_completed_total', 'outcome="polled"'),
        skipped: metricSum(text, 'evara_polls_completed_total', 'outcome="skipped"'),
        failed: metricSum(text, 'evara_polls_failed_total'),
        readingsStored: metricSum(text, 'evara_readings_stored_total'),
        pollSecondsSum: metricSum(text, 'evara_poll_duration_seconds_sum', 'result="completed"'),
        pollSecondsCount: metricSum(text, 'evara_poll_duration_seconds_count', 'result="completed"'),
        heapUsedMiB: metricSum(text, 'nodejs_heap_size_used_bytes') / 2 ** 20,
        rssMiB: metricSum(text, 'process_resident_memory_bytes') / 2 ** 20,
      };
    },
    memory: () => procMemoryMiB(child.pid),
    async stop() {
      await child.stop(30_000);
    },
  };
}

/** The worker under test wired to a harness (its proxied database, Redis prefix, simulator), stopped with it. */
export async function startHarnessWorker(
  h: { proxiedDatabaseUrl: string; redisUrl: string; prefix: string; simUrl: string; defer(name: string, run: () => Promise<unknown>): void },
  overrides: Record<string, string>,
  queues = 'poll',
  env?: Record<string, string>,
): Promise<PollWorker> {
  const worker = await startPollWorker({ databaseUrl: h.proxiedDatabaseUrl, redisUrl: h.redisUrl, queuePrefix: h.prefix, thingspeakBaseUrl: h.simUrl, queues, env, overrides });
  h.defer('poll worker', () => worker.stop());
  return worker;
}

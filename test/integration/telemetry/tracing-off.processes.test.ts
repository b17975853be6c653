import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testEnv } from '../../helpers/test-core';
import { itRedisUrl } from '../../setup/test-env';
import { startProcess, stopProcess } from '../../helpers/processes';

const REPORTER = path.join(__dirname, '..', '..', 'fixtures', 'telemetry', 'report-loaded-packages.cjs');
// Nothing listens here: the enabled case only has to load the SDK, not export.
const UNUSED_OTLP_PORT = 47306;

const prefixes: string[] = [];

/** Starts a process, waits until it has started, stops it and returns the telemetry packages it had loaded. */
async function loadedTelemetryPackages(entry: 'api/main.ts' | 'workers/main.ts', env: Record<string, string>): Promise<string[]> {
  const prefix = `h-otel-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const p = startProcess(entry, testEnv({ QUEUE_PREFIX: prefix, NODE_OPTIONS: `--require ${REPORTER}`, ...env }));
  try {
    await p.waitForLine(entry === 'api/main.ts' ? /api started/ : /worker started/);
  } finally {
    await stopProcess(p);
  }
  const line = p.output.find((l) => l.includes('loadedTelemetryPackages'));
  if (!line) throw new Error(`no report from ${entry}: ${p.output.slice(-5).join(' | ')}`);
  return (JSON.parse(line) as { loadedTelemetryPackages: string[] }).loadedTelemetryPackages;
}

// prom-client's default metrics require @opentelemetry/api (for exemplars) in every process; the
// API alone is a set of no-ops. What tracing adds is everything else.
const addedByTracing = (packages: string[]) => packages.filter((p) => p !== '@opentelemetry/api');

describe('tracing switched off', () => {
  afterAll(async () => {
    // The processes made queues and schedulers under their prefixes; the shared Redis keeps nothing of them.
    const redis = new Redis(itRedisUrl());
    try {
      for (const prefix of prefixes) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
    } finally {
      redis.disconnect();
    }
  });

  test.each([
    ['api/main.ts', { PORT: '47307' }],
    ['workers/main.ts', { WORKER_METRICS_PORT: '47308', POLL_INTERVAL_MS: '3600000' }],
  ] as const)('when no OTLP endpoint is set, then %s starts without loading the OpenTelemetry SDK, any instrumentation or bullmq-otel', async (entry, env) => {
    expect(addedByTracing(await loadedTelemetryPackages(entry, env))).toEqual([]);
  });

  test('when an OTLP endpoint is set, then the same report lists the SDK and the instrumentations (the check above can fail)', async () => {
    const loaded = await loadedTelemetryPackages('workers/main.ts', {
      WORKER_METRICS_PORT: '47309',
      POLL_INTERVAL_MS: '3600000',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${UNUSED_OTLP_PORT}`,
    });
    expect(loaded).toEqual(expect.arrayContaining(['@opentelemetry/sdk-node', '@opentelemetry/instrumentation-pg', '@opentelemetry/instrumentation-undici', 'bullmq-otel']));
  });

  test('when OTEL_SDK_DISABLED=true, then an endpoint alone does not load the SDK', async () => {
    const loaded = await loadedTelemetryPackages('api/main.ts', { PORT: '47310', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${UNUSED_OTLP_PORT}`, OTEL_SDK_DISABLED: 'true' });
    expect(addedByTracing(loaded)).toEqual([]);
  });
});

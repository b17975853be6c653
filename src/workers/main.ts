// Must stay the first import (see tracing.ts).
import './tracing';
import { ConfigError, describeConfig, loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { createCore } from '../shared/core';
import { onShutdown } from '../shared/shutdown';
import { stopTracing } from '../shared/telemetry/start-tracing';
import { startWorkers } from './start-workers';
import { startWorkerMetrics } from './metrics/worker-metrics';
import { waitForDatabase } from '../shared/db/wait-for-database';
import { databaseConnectionsNeeded, poolShortfall } from '../shared/queues/worker-sizing';

async function main(): Promise<void> {
  const config = loadConfig(process.env, 'worker');
  const log = createLogger({ service: 'worker', version: config.version, level: config.logLevel });
  const core = createCore(config, log, { redisKind: 'worker' });
  if (!(await waitForDatabase(core.db, log, config.dbInit))) {
    // Start anyway, degraded: with the breaker open the poll queue waits for a probe to succeed.
    await core.breaker.forceOpen('database unreachable at worker start');
    log.warn('starting degraded: database unavailable, circuit open until a probe succeeds');
  }
  const running = await startWorkers(core);
  const metricsServer = await startWorkerMetrics(core, running.workers, running.workers.has('poll') ? running.pollRateLimit : undefined);
  log.info({ config: describeConfig(config), queues: config.worker.queues, pid: process.pid }, 'worker started');
  // Loud on purpose: a pool smaller than the queues' concurrency makes jobs queue for connections.
  const shortfall = poolShortfall(config.worker.queues, config.db.poolMax);
  if (shortfall) log.error({ poolMax: config.db.poolMax, needed: databaseConnectionsNeeded(config.worker.queues) }, shortfall);
  for (const w of config.warnings) if (w !== shortfall) log.warn(w);

  let forceTimer: NodeJS.Timeout | undefined;
  onShutdown(
    log,
    [
      {
        name: 'workers',
        run: async () => {
          // Finish active jobs; if they outlast most of the deadline, hand them back to the queue.
          forceTimer = setTimeout(() => void running.close(true), Math.floor(config.shutdownTimeoutMs * 0.8));
          await running.close(false);
          clearTimeout(forceTimer);
        },
      },
      // After the workers: the last jobs' outcomes stay scrapeable while they drain.
      { name: 'metrics', run: async () => metricsServer?.close() },
      { name: 'core', run: () => core.close() },
      // Last: spans of the steps above are exported too.
      { name: 'tracing', run: () => stopTracing() },
    ],
    config.shutdownTimeoutMs,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  createLogger({ service: 'worker', version: 'dev', level: 'info' }).fatal({ err }, 'worker failed to start');
  process.exit(1);
});

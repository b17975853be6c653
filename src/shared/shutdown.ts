import type { Logger } from './logger';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

/**
 * Runs `steps` in order on SIGTERM/SIGINT (and on a fatal error), then exits. If they take longer
 * than `deadlineMs` the process exits anyway with code 1, so a stuck close never blocks a deploy.
 */
export function onShutdown(log: Logger, steps: ShutdownStep[], deadlineMs: number): (reason: string, code?: number) => Promise<void> {
  let running: Promise<void> | undefined;
  const shutdown = (reason: string, code = 0): Promise<void> => {
    if (running) return running;
    log.info({ reason, deadlineMs }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown deadline passed: exiting with work still open');
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    running = (async () => {
      for (const step of steps) {
        try {
          await step.run();
          log.info({ step: step.name }, 'closed');
        } catch (err) {
          log.error({ err, step: step.name }, 'close failed');
          code = code || 1;
        }
      }
      clearTimeout(deadline);
      log.info({ code }, 'shutdown complete');
      process.exit(code);
    })();
    return running;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });
  return shutdown;
}

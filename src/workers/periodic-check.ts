import type { Logger } from '../shared/logger';

export interface PeriodicCheck {
  /** Stops the timer and waits for a check that is running. */
  stop(): Promise<void>;
}

/**
 * Runs `check` every `everyMs`, one at a time: a tick while a check still runs is skipped, so a
 * slow Redis or database never stacks checks up. A failure is logged as `failure` and retried on
 * the next tick.
 */
export function startPeriodicCheck(check: () => Promise<void>, everyMs: number, log: Logger, failure: string): PeriodicCheck {
  let running: Promise<void> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = check()
      .catch((err: unknown) => log.warn({ err }, failure))
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

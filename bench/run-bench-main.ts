import { out } from './poll/report';

/**
 * Runs a benchmark's `main` as the process: exits with its exit code, or 1 when it fails. SIGINT
 * or SIGTERM first undo what is open (children, databases, Redis keys) through `cleanup`; a second
 * signal exits at once. A failing main waits for a cleanup a signal started (a load process gets
 * the terminal's SIGINT too, and main then fails while the cleanup runs).
 */
export function runBenchMain(main: () => Promise<void>, cleanup: () => Promise<void>): void {
  let interrupted: Promise<void> | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      out(`${signal}: cleaning up (send again to exit at once)`);
      interrupted = cleanup().finally(() => process.exit(130));
    });
  }
  main().then(
    async () => {
      if (interrupted) await interrupted;
      process.exit(process.exitCode ?? 0);
    },
    async (err: unknown) => {
      if (interrupted) return void (await interrupted);
      out(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
      await cleanup();
      process.exit(1);
    },
  );
}

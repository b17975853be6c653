/**
 * Poll-path benchmark: `npm run bench:poll -- [steady|latency|backfill|all] [--interval] [--smoke]`
 * (not part of npm test). The real worker runs as a child process against an in-process ThingSpeak
 * simulator, a throwaway database `evara_bench_poll` (reached through a round-trip-counting proxy)
 * and Redis keys under `benchpoll-<pid>-<mode>:`, all removed at the end, also on failure.
 * Every figure is printed with a floor measured in the same run (no-op BullMQ worker, server-side
 * INSERT, the limiter or the simulated latency): machines here are shared and noisy, so compare
 * ratios across runs rather than absolute numbers. See BENCHMARKS.md.
 */
import os from 'node:os';
import { parseOptions, type BenchOptions } from './poll/options';
import { runSteady } from './poll/steady-mode';
import { runInterval } from './poll/interval-mode';
import { runLatency } from './poll/latency-mode';
import { runBackfill } from './poll/backfill-mode';
import { closeOpenHarnesses } from './poll/harness';
import { benchResultLine, out, printTable, type Row } from './poll/report';
import { runBenchMain } from './run-bench-main';

async function main(): Promise<void> {
  const opts: BenchOptions = parseOptions(process.argv.slice(2), process.env);
  const startedAt = performance.now();
  const rows: Row[] = [];
  const result: Record<string, unknown> = {
    bench: 'poll',
    at: new Date().toISOString(),
    smoke: opts.smoke,
    machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    workerEnvOverrides: opts.workerEnvOverrides,
  };
  out(`poll bench: modes ${opts.modes.join(', ')}${opts.interval ? ' + interval' : ''}${opts.smoke ? ' (smoke: sizes shrunk, do not quote)' : ''}`);

  for (const mode of opts.modes) {
    if (mode === 'steady') {
      result.steady = await runSteady(opts, rows);
      if (opts.interval) result.interval = await runInterval(opts, rows);
    }
    if (mode === 'latency') result.latency = await runLatency(opts, rows);
    if (mode === 'backfill') result.backfill = await runBackfill(opts, rows);
  }
  result.seconds = (performance.now() - startedAt) / 1000;

  out();
  printTable(rows);
  out();
  out(benchResultLine(result));
}

runBenchMain(main, closeOpenHarnesses);

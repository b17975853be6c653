import { intFromEnv } from '../poll/options';

/**
 * Sizes of an API bench run: flags from argv (`--smoke`, `--no-worker`), sizes from env.
 * `--smoke` shrinks everything so a run checks the bench itself (not to quote).
 */
export interface ApiBenchOptions {
  smoke: boolean;
  worker: boolean;
  nodes: number;
  /** Readings stored per node before the load (the oldest of its simulator history). */
  readingsPerNode: number;
  /** Simulator history per channel: what the worker's first import fetches. */
  historyEntries: number;
  rate: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  sequentialNodeGets: number;
  sequentialListPages: number;
}

export function parseApiOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ApiBenchOptions {
  const known = new Set(['--smoke', '--no-worker']);
  for (const arg of argv) if (!known.has(arg)) throw new Error(`unknown argument ${arg} (--smoke, --no-worker)`);
  const smoke = argv.includes('--smoke');
  return {
    smoke,
    worker: !argv.includes('--no-worker'),
    nodes: intFromEnv(env, 'BENCH_API_NODES', smoke ? 500 : 10_000),
    readingsPerNode: 10,
    historyEntries: 20,
    rate: intFromEnv(env, 'BENCH_API_RATE', 500),
    connections: intFromEnv(env, 'BENCH_API_CONNECTIONS', 50),
    seconds: intFromEnv(env, 'BENCH_API_SECONDS', smoke ? 5 : 30),
    warmupSeconds: smoke ? 2 : 5,
    sequentialNodeGets: 200,
    sequentialListPages: 50,
  };
}

/**
 * What a run measures and how big it is: the mode from argv, sizes from env, `--smoke` shrinking
 * everything so a run stays under a minute (to check the bench itself, not to quote).
 */
export type Mode = 'steady' | 'latency' | 'backfill';

export interface BenchOptions {
  modes: Mode[];
  smoke: boolean;
  /** steady: also run the keep-up sub-mode at the real poll interval. */
  interval: boolean;
  /** Channels of the steady mode (the fleet). */
  channels: number;
  /** Channels of the latency mode. */
  latencyChannels: number;
  latencyMs: number;
  /** Minimum steady measurement time: capacity rounds go on (whole rounds) until it has passed. */
  windowS: number;
  /** Length of the keep-up window at the real interval. */
  intervalWindowS: number;
  backfillEntries: number;
  /** History every channel has before the first poll (the first import). */
  historyEntries: number;
  /** Extra worker environment from BENCH_WORKER_ENV_<NAME>=value. */
  workerEnvOverrides: Record<string, string>;
}

const MODES: readonly Mode[] = ['steady', 'latency', 'backfill'];

/** A positive integer setting from the environment, or `def`; anything else stops the bench with its name. */
export function intFromEnv(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const words = argv.filter((a) => !a.startsWith('--'));
  for (const flag of flags) if (flag !== '--smoke' && flag !== '--interval') throw new Error(`unknown flag ${flag} (--smoke, --interval)`);
  if (words.length > 1) throw new Error(`one mode at a time, got ${words.join(' ')}`);
  const word = words[0] ?? 'steady';
  if (word !== 'all' && !(MODES as readonly string[]).includes(word)) throw new Error(`unknown mode "${word}" (steady, latency, backfill, all)`);
  const modes = word === 'all' ? [...MODES] : [word as Mode];
  const smoke = flags.has('--smoke');

  const workerEnvOverrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('BENCH_WORKER_ENV_') && value !== undefined) workerEnvOverrides[key.slice('BENCH_WORKER_ENV_'.length)] = value;
  }
  return {
    modes,
    smoke,
    interval: flags.has('--interval'),
    channels: intFromEnv(env, 'BENCH_CHANNELS', smoke ? 300 : 10_000),
    latencyChannels: intFromEnv(env, 'BENCH_CHANNELS', smoke ? 300 : 3_000),
    latencyMs: intFromEnv(env, 'BENCH_LATENCY_MS', 300),
    windowS: intFromEnv(env, 'BENCH_WINDOW_S', smoke ? 10 : 60),
    intervalWindowS: intFromEnv(env, 'BENCH_WINDOW_S', smoke ? 10 : 180),
    backfillEntries: intFromEnv(env, 'BENCH_BACKFILL_ENTRIES', smoke ? 5_000 : 100_000),
    historyEntries: intFromEnv(env, 'BENCH_HISTORY_ENTRIES', 20),
    workerEnvOverrides,
  };
}

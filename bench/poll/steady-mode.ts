import { loadConfig, type Config } from '../../src/shared/config';
import { openHarness } from './harness';
import { measureNoopFloor } from './noop-floor';
import type { BenchOptions } from './options';
import { combineRounds, roundTimeoutMs, runPollRound, type RoundResult } from './poll-rounds';
import { readingsStorage, rebuildReadingIndexes, vacuumReadings, type ReadingsStorage } from './readings-queries';
import { fmt, out, type Row } from './report';
import { seedFleet } from './seed-fleet';
import { appendRoundEntries, createSimChannels } from './simulator-fleet';
import { startHarnessWorker } from './worker-process';

const MAX_STEADY_ROUNDS = 50;

export type PollSettings = Config['poll'] & { poolMax: number };

/** The poll settings the worker will run with: the app's defaults plus the bench's overrides. */
export function workerPollSettings(env: Record<string, string>): PollSettings {
  const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x', ...env }, 'worker');
  return { ...config.poll, poolMax: config.db.poolMax };
}

export interface SteadyResult {
  channels: number;
  pollSettings: PollSettings;
  seedSeconds: number;
  firstImport: RoundResult;
  steady: RoundResult & { rounds: number };
  worker: { rssMiB: number; heapUsedMiB: number; peakRssMiB: number };
  floor: { noopJobsPerSecondAtPollConcurrency: number; noopJobsPerSecondAt100: number; ratioToNoop: number; ratioToLimiter: number };
  storage: { raw: ReadingsStorage; afterVacuum: ReadingsStorage; afterIndexRebuild: ReadingsStorage };
  seconds: number;
}

const round = (r: RoundResult) => `${fmt(r.pollsPerSecond)} polls/s`;

export async function runSteady(opts: BenchOptions, rows: Row[]): Promise<SteadyResult> {
  const startedAt = performance.now();
  const h = await openHarness('steady');
  try {
    const seedStart = performance.now();
    const ids = createSimChannels(h.sim, opts.channels, opts.historyEntries);
    const fleet = await seedFleet(h.db, { channels: ids });
    const seedSeconds = (performance.now() - seedStart) / 1000;
    out(`steady: ${opts.channels} channels with ${opts.historyEntries} entries each seeded in ${fmt(seedSeconds)} s`);

    const worker = await startHarnessWorker(h, opts.workerEnvOverrides);
    const pollSettings = workerPollSettings(opts.workerEnvOverrides);
    const timeoutMs = roundTimeoutMs(opts.channels);

    // The first poll of each channel imports its history: reported apart, and it is the warm-up.
    const firstImport = await runPollRound(h, worker, fleet, timeoutMs);
    out(`  first import: ${round(firstImport)}, ${fmt(firstImport.seconds)} s, ${firstImport.readingsStored} readings`);

    const rounds: RoundResult[] = [];
    for (let r = 1; r <= MAX_STEADY_ROUNDS; r++) {
      appendRoundEntries(h.sim, ids, r);
      const result = await runPollRound(h, worker, fleet, timeoutMs);
      rounds.push(result);
      out(`  round ${r}: ${round(result)}, ${fmt(result.seconds)} s, ${result.readingsStored} readings`);
      if (rounds.reduce((s, x) => s + x.seconds, 0) >= opts.windowS) break;
    }
    const steady = { ...combineRounds(rounds), rounds: rounds.length };

    const metrics = await worker.scrape();
    const memory = await worker.memory();
    const workerMemory = { rssMiB: metrics.rssMiB, heapUsedMiB: metrics.heapUsedMiB, peakRssMiB: memory?.peak ?? NaN };
    // The floor must not compete with an idle worker's timers.
    await worker.stop();

    const floorJobs = opts.channels;
    const noopAtPoll = await measureNoopFloor({ redis: h.redis, redisUrl: h.redisUrl, prefix: h.prefix, jobs: floorJobs, concurrency: pollSettings.concurrency });
    const noopAt100 = await measureNoopFloor({ redis: h.redis, redisUrl: h.redisUrl, prefix: h.prefix, jobs: floorJobs, concurrency: 100 });
    out(`  no-op floor: ${fmt(noopAtPoll)} jobs/s at concurrency ${pollSettings.concurrency}, ${fmt(noopAt100)} jobs/s at 100`);

    const raw = await readingsStorage(h.db);
    await vacuumReadings(h.db);
    const afterVacuum = await readingsStorage(h.db);
    // What the ensure-partitions job does to each day once it has ended (reading-partition-compaction.ts):
    // polls of many channels fill the primary key's pages to ~70 %, a rebuild packs them.
    await rebuildReadingIndexes(h.db);
    const afterIndexRebuild = await readingsStorage(h.db);

    const result: SteadyResult = {
      channels: opts.channels,
      pollSettings,
      seedSeconds,
      firstImport,
      steady,
      worker: workerMemory,
      floor: {
        noopJobsPerSecondAtPollConcurrency: noopAtPoll,
        noopJobsPerSecondAt100: noopAt100,
        ratioToNoop: steady.pollsPerSecond / noopAtPoll,
        ratioToLimiter: steady.pollsPerSecond / pollSettings.maxPerSecond,
      },
      storage: { raw, afterVacuum, afterIndexRebuild },
      seconds: (performance.now() - startedAt) / 1000,
    };
    addSteadyRows(rows, result);
    return result;
  } finally {
    await h.close();
  }
}

function addSteadyRows(rows: Row[], r: SteadyResult): void {
  const m = `steady ${r.channels}ch`;
  const p = r.pollSettings;
  rows.push(
    { mode: m, figure: 'worker settings', value: `c=${p.concurrency}`, floor: `POLL_MAX_PER_SECOND ${p.maxPerSecond}, DATABASE_POOL_MAX ${p.poolMax}` },
    { mode: m, figure: 'first import polls/s', value: fmt(r.firstImport.pollsPerSecond), floor: `${fmt(r.firstImport.seconds)} s, ${r.firstImport.readingsStored} readings, ${fmt(r.firstImport.readingsPerSecond, 0)} readings/s` },
    { mode: m, figure: `steady polls/s (${r.steady.rounds} rounds)`, value: fmt(r.steady.pollsPerSecond), floor: `limiter ${p.maxPerSecond}/s: ${fmt(r.floor.ratioToLimiter, 2)}x; no-op c=${p.concurrency}: ${fmt(r.floor.ratioToNoop, 3)}x` },
    { mode: m, figure: `no-op BullMQ jobs/s c=${p.concurrency}`, value: fmt(r.floor.noopJobsPerSecondAtPollConcurrency), floor: 'floor' },
    { mode: m, figure: 'no-op BullMQ jobs/s c=100', value: fmt(r.floor.noopJobsPerSecondAt100), floor: 'floor' },
    { mode: m, figure: 'mean poll duration ms', value: fmt(r.steady.meanPollMs) },
    { mode: m, figure: 'ThingSpeak requests/poll', value: fmt(r.steady.thingspeakRequestsPerPoll, 2) },
    { mode: m, figure: 'Postgres round trips/poll', value: fmt(r.steady.pgRoundTripsPerPoll, 2), floor: `first import: ${fmt(r.firstImport.pgRoundTripsPerPoll, 2)}` },
    { mode: m, figure: 'readings stored/s', value: fmt(r.steady.readingsPerSecond) },
    { mode: m, figure: 'worker RSS / heap MiB', value: `${fmt(r.worker.rssMiB)} / ${fmt(r.worker.heapUsedMiB)}`, floor: `peak RSS ${fmt(r.worker.peakRssMiB)}` },
    { mode: m, figure: 'bytes/reading (raw)', value: fmt(r.storage.raw.bytesPerReading), floor: `table ${fmt(r.storage.raw.tableBytesPerReading)} + index ${fmt(r.storage.raw.indexBytesPerReading)}, ${r.storage.raw.rows} rows` },
    { mode: m, figure: 'bytes/reading (after VACUUM)', value: fmt(r.storage.afterVacuum.bytesPerReading), floor: `table ${fmt(r.storage.afterVacuum.tableBytesPerReading)} + index ${fmt(r.storage.afterVacuum.indexBytesPerReading)}` },
    { mode: m, figure: 'bytes/reading (day index rebuilt)', value: fmt(r.storage.afterIndexRebuild.bytesPerReading), floor: `table ${fmt(r.storage.afterIndexRebuild.tableBytesPerReading)} + index ${fmt(r.storage.afterIndexRebuild.indexBytesPerReading)}` },
  );
}

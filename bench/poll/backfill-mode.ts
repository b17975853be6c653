import { openHarness } from './harness';
import type { BenchOptions } from './options';
import { roundTimeoutMs, runPollRound, type RoundResult } from './poll-rounds';
import { fmt, out, type Row } from './report';
import { seedFleet } from './seed-fleet';
import { createSimChannels, FIRST_BENCH_CHANNEL_ID } from './simulator-fleet';
import { insertSyntheticReadings } from './synthetic-readings';
import { sampleRss } from './child-process';
import { startHarnessWorker } from './worker-process';

export interface BackfillResult {
  entries: number;
  /** The first poll of the fresh worker: cold code and an empty connection pool. */
  poll: RoundResult;
  /** The same import, of another channel, by the same worker right after: a running worker. */
  warmPoll: RoundResult;
  warmRatioToFloor: number;
  idleRssMiB: number;
  peakRssMiB: number;
  peakRssHighWaterMiB: number;
  floorSeconds: number;
  /** The faster of the two floor runs (before the worker started, after the import), in rows/s. */
  floorReadingsPerSecond: number;
  floorRunsPerSecond: [number, number];
  ratioToFloor: number;
  seconds: number;
}

// Other channel ids for the floor's rows: never in the simulator, never polled.
const FLOOR_CHANNEL_IDS = [FIRST_BENCH_CHANNEL_ID - 1, FIRST_BENCH_CHANNEL_ID - 2];

/**
 * The first poll of one channel with a long history (100k entries 15 s apart by default): what a
 * newly added busy channel costs. Floor: the same number of rows written server-side by one
 * INSERT ... SELECT into the same table, once before the worker starts and once after the import
 * (the table then as large as the import left it); the faster run counts. One run of under a
 * second swung by 1.5x between runs on the shared machine; the better of two is steadier, and it
 * can only make the ratio smaller.
 *
 * The import runs twice, on two channels of the same history: first on the freshly started worker
 * (its code not yet optimised, its pool empty: at 100k entries that start-up is a fifth of the
 * time), then on the same worker again, which is what a busy channel added to a running fleet meets.
 */
export async function runBackfill(opts: BenchOptions, rows: Row[]): Promise<BackfillResult> {
  const startedAt = performance.now();
  const h = await openHarness('backfill');
  try {
    const n = opts.backfillEntries;
    // One appendGenerated call builds the whole history (15 s apart, ThingSpeak's free-tier rate).
    const [id, warmId] = createSimChannels(h.sim, 2, n, 15_000);
    const [target, warmTarget, ...floorTargets] = await seedFleet(h.db, { channels: [id!, warmId!, ...FLOOR_CHANNEL_IDS] });
    const runFloor = async (floorTarget: (typeof floorTargets)[number]) => {
      const floorStart = performance.now();
      const inserted = await insertSyntheticReadings(h.db, floorTarget, n);
      const seconds = (performance.now() - floorStart) / 1000;
      if (inserted !== n) throw new Error(`synthetic insert wrote ${inserted} rows, expected ${n}`);
      out(`backfill: floor INSERT ... SELECT of ${n} readings in ${fmt(seconds, 2)} s`);
      return seconds;
    };

    const floorBefore = await runFloor(floorTargets[0]!);

    const worker = await startHarnessWorker(h, opts.workerEnvOverrides);
    const idle = await worker.memory();
    const sampler = sampleRss(worker.process.pid, 200);
    const poll = await runPollRound(h, worker, [target!], roundTimeoutMs(1) + n);
    const sampledPeak = sampler.stop();
    const memory = await worker.memory();
    if (poll.readingsStored !== n) throw new Error(`the backfill stored ${poll.readingsStored} readings, expected ${n}`);
    out(`  first poll imported ${n} entries in ${fmt(poll.seconds, 2)} s (${poll.thingspeakRequestsPerPoll} ThingSpeak requests)`);
    const warmPoll = await runPollRound(h, worker, [warmTarget!], roundTimeoutMs(1) + n);
    if (warmPoll.readingsStored !== n) throw new Error(`the second backfill stored ${warmPoll.readingsStored} readings, expected ${n}`);
    out(`  the same worker then imported another ${n} in ${fmt(warmPoll.seconds, 2)} s`);
    const floorAfter = await runFloor(floorTargets[1]!);

    const floorSeconds = Math.min(floorBefore, floorAfter);
    const floorReadingsPerSecond = n / floorSeconds;
    const result: BackfillResult = {
      entries: n,
      poll,
      idleRssMiB: idle?.rss ?? NaN,
      peakRssMiB: sampledPeak,
      peakRssHighWaterMiB: memory?.peak ?? NaN,
      floorSeconds,
      floorReadingsPerSecond,
      floorRunsPerSecond: [n / floorBefore, n / floorAfter],
      ratioToFloor: poll.readingsPerSecond / floorReadingsPerSecond,
      warmPoll,
      warmRatioToFloor: warmPoll.readingsPerSecond / floorReadingsPerSecond,
      seconds: (performance.now() - startedAt) / 1000,
    };
    const m = `backfill ${n}`;
    rows.push(
      { mode: m, figure: 'readings/s (first poll)', value: fmt(poll.readingsPerSecond, 0), floor: `INSERT...SELECT ${fmt(floorReadingsPerSecond, 0)}/s: ${fmt(result.ratioToFloor, 3)}x (best of ${fmt(n / floorBefore, 0)}, ${fmt(n / floorAfter, 0)})` },
      { mode: m, figure: 'readings/s (running worker)', value: fmt(warmPoll.readingsPerSecond, 0), floor: `${fmt(result.warmRatioToFloor, 3)}x` },
      { mode: m, figure: 'poll seconds (first, running)', value: `${fmt(poll.seconds, 2)}, ${fmt(warmPoll.seconds, 2)}`, floor: `floor ${fmt(floorSeconds, 2)} s` },
      { mode: m, figure: 'worker peak RSS MiB', value: fmt(sampledPeak), floor: `idle ${fmt(result.idleRssMiB)}, VmHWM ${fmt(result.peakRssHighWaterMiB)}` },
      { mode: m, figure: 'ThingSpeak requests', value: fmt(poll.thingspeakRequestsPerPoll, 0) },
      { mode: m, figure: 'Postgres round trips', value: fmt(poll.pgRoundTripsPerPoll, 0) },
    );
    return result;
  } finally {
    await h.close();
  }
}

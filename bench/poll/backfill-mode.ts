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
  poll: RoundResult;
  idleRssMiB: number;
  peakRssMiB: number;
  peakRssHighWaterMiB: number;
  floorSeconds: number;
  floorReadingsPerSecond: number;
  ratioToFloor: number;
  seconds: number;
}

// Another channel id for the floor's rows: never in the simulator, never polled.
const FLOOR_CHANNEL_ID = FIRST_BENCH_CHANNEL_ID - 1;

/**
 * The first poll of one channel with a long history (100k entries 15 s apart by default): what a
 * newly added busy channel costs. Floor: the same number of rows written server-side by one
 * INSERT ... SELECT into the same table (before the worker starts, so nothing competes with it).
 */
export async function runBackfill(opts: BenchOptions, rows: Row[]): Promise<BackfillResult> {
  const startedAt = performance.now();
  const h = await openHarness('backfill');
  try {
    const n = opts.backfillEntries;
    // One appendGenerated call builds the whole history (15 s apart, ThingSpeak's free-tier rate).
    const [id] = createSimChannels(h.sim, 1, n, 15_000);
    const [target, floorTarget] = await seedFleet(h.db, { channels: [id!, FLOOR_CHANNEL_ID] });

    const floorStart = performance.now();
    const inserted = await insertSyntheticReadings(h.db, floorTarget!, n);
    const floorSeconds = (performance.now() - floorStart) / 1000;
    if (inserted !== n) throw new Error(`synthetic insert wrote ${inserted} rows, expected ${n}`);
    out(`backfill: floor INSERT ... SELECT of ${n} readings in ${fmt(floorSeconds, 2)} s`);

    const worker = await startHarnessWorker(h, opts.workerEnvOverrides);
    const idle = await worker.memory();
    const sampler = sampleRss(worker.process.pid, 200);
    const poll = await runPollRound(h, worker, [target!], roundTimeoutMs(1) + n);
    const sampledPeak = sampler.stop();
    const memory = await worker.memory();
    if (poll.readingsStored !== n) throw new Error(`the backfill stored ${poll.readingsStored} readings, expected ${n}`);
    out(`  first poll imported ${n} entries in ${fmt(poll.seconds, 2)} s (${poll.thingspeakRequestsPerPoll} ThingSpeak requests)`);

    const floorReadingsPerSecond = n / floorSeconds;
    const result: BackfillResult = {
      entries: n,
      poll,
      idleRssMiB: idle?.rss ?? NaN,
      peakRssMiB: sampledPeak,
      peakRssHighWaterMiB: memory?.peak ?? NaN,
      floorSeconds,
      floorReadingsPerSecond,
      ratioToFloor: poll.readingsPerSecond / floorReadingsPerSecond,
      seconds: (performance.now() - startedAt) / 1000,
    };
    const m = `backfill ${n}`;
    rows.push(
      { mode: m, figure: 'readings/s (first poll)', value: fmt(poll.readingsPerSecond, 0), floor: `INSERT...SELECT ${fmt(floorReadingsPerSecond, 0)}/s: ${fmt(result.ratioToFloor, 3)}x` },
      { mode: m, figure: 'poll seconds', value: fmt(poll.seconds, 2), floor: `floor ${fmt(floorSeconds, 2)} s` },
      { mode: m, figure: 'worker peak RSS MiB', value: fmt(sampledPeak), floor: `idle ${fmt(result.idleRssMiB)}, VmHWM ${fmt(result.peakRssHighWaterMiB)}` },
      { mode: m, figure: 'ThingSpeak requests', value: fmt(poll.thingspeakRequestsPerPoll, 0) },
      { mode: m, figure: 'Postgres round trips', value: fmt(poll.pgRoundTripsPerPoll, 0) },
    );
    return result;
  } finally {
    await h.close();
  }
}

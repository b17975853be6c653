import { openHarness } from './harness';
import type { BenchOptions } from './options';
import { roundTimeoutMs, runPollRound, type RoundResult } from './poll-rounds';
import { fmt, out, type Row } from './report';
import { seedFleet } from './seed-fleet';
import { appendRoundEntries, createSimChannels } from './simulator-fleet';
import { workerPollSettings } from './steady-mode';
import { startHarnessWorker } from './worker-process';

export interface LatencyResult {
  channels: number;
  latencyMs: number;
  concurrency: number;
  round: RoundResult;
  /** What the worker could do if a poll were nothing but its ThingSpeak waits, one after another. */
  latencyCeilingPollsPerSecond: number;
  ratioToCeiling: number;
  seconds: number;
}

/**
 * ThingSpeak far away: every simulator request answers after `latencyMs`. The first import runs
 * without latency (warm-up, not measured); the measured round polls every channel once with new
 * entries. Floor: concurrency / (requests per poll x latency), the rate of a worker that only waits.
 */
export async function runLatency(opts: BenchOptions, rows: Row[]): Promise<LatencyResult> {
  const startedAt = performance.now();
  const h = await openHarness('latency');
  try {
    const ids = createSimChannels(h.sim, opts.latencyChannels, opts.historyEntries);
    const fleet = await seedFleet(h.db, { channels: ids });
    const worker = await startHarnessWorker(h, opts.workerEnvOverrides);
    const { concurrency, maxPerSecond } = workerPollSettings(opts.workerEnvOverrides);

    const warmUp = await runPollRound(h, worker, fleet, roundTimeoutMs(fleet.length));
    out(`latency: ${fleet.length} channels imported without latency in ${fmt(warmUp.seconds)} s (warm-up)`);
    h.sim.setLatency(opts.latencyMs);
    appendRoundEntries(h.sim, ids, 1);
    // Each poll waits at least two latencies: give the round room for that at concurrency 1.
    const round = await runPollRound(h, worker, fleet, roundTimeoutMs(fleet.length) + fleet.length * 2 * opts.latencyMs);
    const ceiling = Math.min(maxPerSecond, concurrency / ((round.thingspeakRequestsPerPoll * opts.latencyMs) / 1000));
    out(`  ${opts.latencyMs} ms a request: ${fmt(round.pollsPerSecond)} polls/s in ${fmt(round.seconds)} s`);

    const result: LatencyResult = {
      channels: fleet.length,
      latencyMs: opts.latencyMs,
      concurrency,
      round,
      latencyCeilingPollsPerSecond: ceiling,
      ratioToCeiling: round.pollsPerSecond / ceiling,
      seconds: (performance.now() - startedAt) / 1000,
    };
    const m = `latency ${fleet.length}ch ${opts.latencyMs}ms`;
    rows.push(
      { mode: m, figure: 'polls/s', value: fmt(round.pollsPerSecond), floor: `ceiling c/(req x latency) ${fmt(ceiling)}: ${fmt(result.ratioToCeiling, 2)}x` },
      { mode: m, figure: 'mean poll duration ms', value: fmt(round.meanPollMs), floor: `${fmt(round.thingspeakRequestsPerPoll, 2)} requests x ${opts.latencyMs} ms = ${fmt(round.thingspeakRequestsPerPoll * opts.latencyMs, 0)} ms` },
      { mode: m, figure: 'Postgres round trips/poll', value: fmt(round.pgRoundTripsPerPoll, 2) },
    );
    return result;
  } finally {
    await h.close();
  }
}

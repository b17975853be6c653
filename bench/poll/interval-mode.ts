import { setTimeout as sleep } from 'node:timers/promises';
import { openHarness } from './harness';
import type { BenchOptions } from './options';
import { newestReadingPerChannel } from './readings-queries';
import { fmt, out, quantile, type Row } from './report';
import { seedFleet } from './seed-fleet';
import { createSimChannels, newestSimEntries, startSpreadAppender } from './simulator-fleet';
import { workerPollSettings } from './steady-mode';
import { startHarnessWorker } from './worker-process';

export interface IntervalResult {
  channels: number;
  intervalMs: number;
  windowS: number;
  polls: number;
  pollsPerSecond: number;
  /** What keeping up needs: every channel once per interval. */
  demandPollsPerSecond: number;
  limiterPollsPerSecond: number;
  lagP50S: number;
  lagP99S: number;
  lagMaxS: number;
  channelsBehind: number;
  channelsNeverStored: number;
  backlogAtEnd: number;
  seconds: number;
}

/**
 * Keep-up at the real interval: the worker runs the tick itself (poll-control + poll, default
 * POLL_INTERVAL_MS) while the simulator writes one entry per channel per interval, spread over it.
 * After the window: how far each channel's newest stored reading is behind its newest entry.
 * The measurement window is a fixed time by design; nothing waits on it for synchronisation.
 */
export async function runInterval(opts: BenchOptions, rows: Row[]): Promise<IntervalResult> {
  const startedAt = performance.now();
  const h = await openHarness('interval');
  try {
    // A smoke run cannot wait minutes: it ticks every 5 s unless told otherwise.
    const env: Record<string, string> = opts.smoke && !opts.workerEnvOverrides.POLL_INTERVAL_MS ? { POLL_INTERVAL_MS: '5000' } : {};
    const settings = workerPollSettings({ ...env, ...opts.workerEnvOverrides });
    const ids = createSimChannels(h.sim, opts.channels, opts.historyEntries);
    const fleet = await seedFleet(h.db, { channels: ids });
    const worker = await startHarnessWorker(h, opts.workerEnvOverrides, 'poll,poll-control', env);
    const appender = startSpreadAppender(h.sim, ids, settings.intervalMs);
    h.defer('appender', async () => appender.stop());

    const windowStart = performance.now();
    const before = await worker.scrape();
    out(`interval: ${fleet.length} channels, tick every ${settings.intervalMs} ms, ${opts.intervalWindowS} s window`);
    await sleep(opts.intervalWindowS * 1000);
    appender.stop();
    const after = await worker.scrape();
    const windowS = (performance.now() - windowStart) / 1000;

    const simNewest = newestSimEntries(h.sim, ids);
    const stored = await newestReadingPerChannel(h.db);
    const lags = fleet.map((f) => {
      const newest = stored.get(f.nodeChannelId);
      return newest === undefined ? Infinity : Math.max(0, (simNewest.get(f.channelId)! - newest) / 1000);
    });
    const counts = await h.queues.poll.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
    const polls = after.polled - before.polled;

    const result: IntervalResult = {
      channels: fleet.length,
      intervalMs: settings.intervalMs,
      windowS,
      polls,
      pollsPerSecond: polls / windowS,
      demandPollsPerSecond: fleet.length / (settings.intervalMs / 1000),
      limiterPollsPerSecond: settings.maxPerSecond,
      lagP50S: quantile(lags, 0.5),
      lagP99S: quantile(lags, 0.99),
      lagMaxS: quantile(lags, 1),
      channelsBehind: lags.filter((l) => l > 0).length,
      channelsNeverStored: lags.filter((l) => !Number.isFinite(l)).length,
      backlogAtEnd: Object.values(counts).reduce((a, b) => a + b, 0),
      seconds: (performance.now() - startedAt) / 1000,
    };
    const m = `interval ${fleet.length}ch ${settings.intervalMs / 1000}s`;
    rows.push(
      { mode: m, figure: 'achieved polls/s', value: fmt(result.pollsPerSecond), floor: `demand ${fmt(result.demandPollsPerSecond)}/s, limiter ${settings.maxPerSecond}/s` },
      { mode: m, figure: 'freshness lag p50 / p99 s', value: `${fmt(result.lagP50S)} / ${fmt(result.lagP99S)}`, floor: `max ${fmt(result.lagMaxS)}; ${result.channelsBehind} behind, ${result.channelsNeverStored} never stored` },
      { mode: m, figure: 'poll backlog at end (jobs)', value: String(result.backlogAtEnd) },
    );
    return result;
  } finally {
    await h.close();
  }
}

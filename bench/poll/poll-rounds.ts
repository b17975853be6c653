import type { Queue } from 'bullmq';
import { waitFor } from '../../test/helpers/wait-for';
import type { Harness } from './harness';
import { countReadings } from './readings-queries';
import type { FleetChannel } from './seed-fleet';
import type { PollWorker } from './worker-process';

const PENDING_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/** Waits until the queue holds no job that is still to run (retries waiting in delayed included). */
export async function waitUntilDrained(queue: Queue, opts: { timeoutMs: number; what: string }): Promise<void> {
  await waitFor(
    async () => {
      const counts = await queue.getJobCounts(...PENDING_STATES);
      return PENDING_STATES.every((s) => (counts[s] ?? 0) === 0);
    },
    // 100 ms: fine enough for rounds of seconds, light enough not to load Redis.
    { timeoutMs: opts.timeoutMs, intervalMs: 100, what: `${opts.what} to finish` },
  );
}

/** Counters read before and after a round; their differences are the round's figures. */
interface Snapshot {
  simRequests: number;
  pgRoundTrips: number;
  readings: number;
  worker: Awaited<ReturnType<PollWorker['scrape']>>;
}

async function snapshot(h: Harness, worker: PollWorker): Promise<Snapshot> {
  return {
    simRequests: h.sim.stats().totalRequests,
    pgRoundTrips: (await h.proxy.counts()).roundTrips,
    readings: await countReadings(h.db),
    worker: await worker.scrape(),
  };
}

export interface RoundResult {
  polls: number;
  failedAttempts: number;
  seconds: number;
  pollsPerSecond: number;
  readingsStored: number;
  readingsPerSecond: number;
  thingspeakRequestsPerPoll: number;
  pgRoundTripsPerPoll: number;
  meanPollMs: number;
}

export function combineRounds(rounds: readonly RoundResult[]): RoundResult {
  const sum = (f: (r: RoundResult) => number) => rounds.reduce((acc, r) => acc + f(r), 0);
  const polls = sum((r) => r.polls);
  const seconds = sum((r) => r.seconds);
  const readingsStored = sum((r) => r.readingsStored);
  return {
    polls,
    failedAttempts: sum((r) => r.failedAttempts),
    seconds,
    pollsPerSecond: polls / seconds,
    readingsStored,
    readingsPerSecond: readingsStored / seconds,
    thingspeakRequestsPerPoll: sum((r) => r.thingspeakRequestsPerPoll * r.polls) / polls,
    pgRoundTripsPerPoll: sum((r) => r.pgRoundTripsPerPoll * r.polls) / polls,
    meanPollMs: sum((r) => r.meanPollMs * r.polls) / polls,
  };
}

/**
 * One capacity round: a poll-channel job for every channel at once through the real producers
 * (reason tick, no delay), timed from the first add until the poll queue is drained.
 */
export async function runPollRound(h: Harness, worker: PollWorker, fleet: readonly FleetChannel[], timeoutMs: number): Promise<RoundResult> {
  const before = await snapshot(h, worker);
  const startedAt = performance.now();
  await h.producers.enqueuePolls(fleet.map((f) => ({ nodeChannelId: f.nodeChannelId, delayMs: 0 })), 'tick');
  await waitUntilDrained(h.queues.poll, { timeoutMs, what: `a round of ${fleet.length} polls` });
  const seconds = (performance.now() - startedAt) / 1000;
  // The worker counts a poll on BullMQ's "completed" event, a moment after Redis shows it done.
  const after: Snapshot = await waitFor(
    async (): Promise<Snapshot | undefined> => {
      const s = await snapshot(h, worker);
      return s.worker.polled + s.worker.skipped + s.worker.failed - (before.worker.polled + before.worker.skipped + before.worker.failed) >= fleet.length ? s : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'the worker to count the round\'s polls' },
  ).then((s) => s!, () => snapshot(h, worker));

  const polls = after.worker.polled - before.worker.polled;
  const failedAttempts = after.worker.failed - before.worker.failed;
  if (polls !== fleet.length) {
    throw new Error(`round finished with ${polls} completed polls for ${fleet.length} channels (${failedAttempts} failed attempts); worker output:\n${worker.process.tail().join('\n')}`);
  }
  const readingsStored = after.readings - before.readings;
  const pollCount = after.worker.pollSecondsCount - before.worker.pollSecondsCount;
  return {
    polls,
    failedAttempts,
    seconds,
    pollsPerSecond: polls / seconds,
    readingsStored,
    readingsPerSecond: readingsStored / seconds,
    thingspeakRequestsPerPoll: (after.simRequests - before.simRequests) / polls,
    pgRoundTripsPerPoll: (after.pgRoundTrips - before.pgRoundTrips) / polls,
    meanPollMs: pollCount > 0 ? ((after.worker.pollSecondsSum - before.worker.pollSecondsSum) / pollCount) * 1000 : 0,
  };
}

/** A deadline no healthy round gets near: a minute plus 200 ms a channel (5 polls/s). */
export function roundTimeoutMs(channels: number): number {
  return 60_000 + channels * 200;
}

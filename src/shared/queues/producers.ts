import type { Job } from 'bullmq';
import type { z } from 'zod';
import { DependencyUnavailableError } from '../errors';
import type { Queues } from './queues';
import type { PollJobRecords } from './poll-job-records';
import { UNTRACED } from './queue-telemetry';
import { deliverJobId, ENSURE_PARTITIONS_DEDUPLICATION_ID, evaluateJobId, jobs, pollDeduplicationId, systemEventJobId, type JobData } from './jobs';

export interface PollTarget {
  nodeChannelId: string;
  /** Delay that spreads a tick's polls over the interval. */
  delayMs?: number;
}

// BullMQ waits for its connection to become ready before sending a command, so with Redis down an
// add() would wait for ever; a request must get a 503 instead.
const ENQUEUE_DEADLINE_MS = 5_000;

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyUnavailableError('redis', 'The job queue (Redis) is unavailable right now; try again shortly')), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (err instanceof DependencyUnavailableError) throw err;
    throw new DependencyUnavailableError('redis', 'The job queue (Redis) refused the job; try again shortly', err);
  } finally {
    clearTimeout(timer);
  }
}

export interface ProducerOptions {
  /** Where on-demand polls are watched so their status outlives BullMQ's trimming; without it they are not (the bench, ticks only). */
  pollJobRecords?: PollJobRecords;
  deadlineMs?: number;
}

/** Typed ways to enqueue work; the only place jobs are added outside BullMQ's scheduler. */
export function createProducers(queues: Queues, { pollJobRecords, deadlineMs = ENQUEUE_DEADLINE_MS }: ProducerOptions = {}) {
  const pollOptions = (nodeChannelId: string, delayMs = 0, reason: 'tick' | 'on-demand' = 'tick') => ({
    delay: delayMs,
    deduplication: {
      id: pollDeduplicationId(nodeChannelId),
      // A poll asked for while one runs waits for it instead of running beside it.
      keepLastIfActive: true,
      // An on-demand poll that meets a tick's poll still delayed by the spreading pulls it forward.
      reschedule: reason === 'on-demand',
    },
  });

  /**
   * The job id may be an existing job's (deduplication), even one running now that finishes before
   * the watch lands and so had its outcome skipped; reading the job back closes that gap. One more
   * round trip, on the on-demand path only.
   */
  async function watchPoll(records: PollJobRecords, jobId: string, job: Job, nodeChannelId: string): Promise<void> {
    await records.watch(jobId, { nodeChannelId, createdAt: job.timestamp, maxAttempts: job.opts.attempts ?? 1 });
    const live = await queues.poll.getJob(jobId);
    if (live?.finishedOn) await records.recordOutcome(live, (await live.getState()) === 'completed' ? 'completed' : 'failed');
  }

  return {
    async enqueuePoll(data: JobData<'poll-channel'>, delayMs = 0): Promise<Job> {
      const payload = jobs['poll-channel'].payload.parse(data);
      const job = await withDeadline(queues.poll.add('poll-channel', payload, pollOptions(payload.nodeChannelId, delayMs, payload.reason)), deadlineMs);
      if (payload.reason === 'on-demand' && pollJobRecords && job.id) await withDeadline(watchPoll(pollJobRecords, job.id, job, payload.nodeChannelId), deadlineMs);
      return job;
    },

    /** Never watched, whatever the reason: no client holds these job ids, and a record each would cost a write per scheduled poll. */
    async enqueuePolls(targets: PollTarget[], reason: 'tick' | 'on-demand', requestId?: string): Promise<number> {
      if (targets.length === 0) return 0;
      // addBulk: one round trip per chunk instead of one per channel (10k channels per tick).
      const CHUNK = 500;
      for (let i = 0; i < targets.length; i += CHUNK) {
        await withDeadline(queues.poll.addBulk(
          targets.slice(i, i + CHUNK).map((t) => ({
            name: 'poll-channel',
            data: { nodeChannelId: t.nodeChannelId, reason, meta: requestId ? { requestId } : undefined },
            // A scheduled poll is a trace of its own, not one of thousands inside the tick's.
            opts: reason === 'tick' ? { ...pollOptions(t.nodeChannelId, t.delayMs, reason), ...UNTRACED } : pollOptions(t.nodeChannelId, t.delayMs, reason),
          })),
        ), deadlineMs);
      }
      return targets.length;
    },

    async enqueueEvaluation(data: JobData<'evaluate-node'>): Promise<Job> {
      const payload = jobs['evaluate-node'].payload.parse(data);
      return withDeadline(
        queues.alerts.add('evaluate-node', payload, { jobId: evaluateJobId(payload.nodeChannelId, payload.epoch, payload.toEntryId) }),
        deadlineMs,
      );
    },

    /** Many polls' evaluation jobs in one round trip; the deterministic ids make a repeat add nothing. */
    async enqueueEvaluations(list: Array<JobData<'evaluate-node'>>): Promise<void> {
      if (list.length === 0) return;
      const payloads = list.map((d) => jobs['evaluate-node'].payload.parse(d));
      await withDeadline(
        queues.alerts.addBulk(payloads.map((p) => ({ name: 'evaluate-node', data: p, opts: { jobId: evaluateJobId(p.nodeChannelId, p.epoch, p.toEntryId) } }))),
        deadlineMs,
      );
    },

    /** Queues deliveries for outbox rows; the job id makes a second relay of one row a no-op. */
    async enqueueDeliveries(notificationIds: string[]): Promise<void> {
      if (notificationIds.length === 0) return;
      await withDeadline(
        queues.notifications.addBulk(
          notificationIds.map((notificationId) => ({
            name: 'deliver-notification',
            data: jobs['deliver-notification'].payload.parse({ notificationId }),
            opts: { jobId: deliverJobId(notificationId) },
          })),
        ),
        deadlineMs,
      );
    },

    /** A partition check now (a maintenance worker starting), besides the hourly scheduler's. */
    async enqueueEnsurePartitions(): Promise<Job> {
      return withDeadline(queues.maintenance.add('ensure-partitions', {}, { deduplication: { id: ENSURE_PARTITIONS_DEDUPLICATION_ID } }), deadlineMs);
    },

    async enqueueSystemEvent(data: z.input<(typeof jobs)['notify-system-event']['payload']>): Promise<Job> {
      const payload = jobs['notify-system-event'].payload.parse(data);
      return withDeadline(queues.notifications.add('notify-system-event', payload, { jobId: systemEventJobId(payload.event, payload.at, payload.dependency) }), deadlineMs);
    },
  };
}

export type Producers = ReturnType<typeof createProducers>;

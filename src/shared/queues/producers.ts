import type { Job } from 'bullmq';
import type { Queues } from './queues';
import { evaluateJobId, jobs, pollDeduplicationId, type JobData } from './jobs';

export interface PollTarget {
  nodeChannelId: string;
  /** Delay that spreads a tick's polls over the interval. */
  delayMs?: number;
}

/** Typed ways to enqueue work; the only place jobs are added outside BullMQ's scheduler. */
export function createProducers(queues: Queues) {
  const pollOptions = (nodeChannelId: string, delayMs = 0) => ({
    delay: delayMs,
    // keepLastIfActive: a poll asked for while one runs waits for it instead of running beside it.
    deduplication: { id: pollDeduplicationId(nodeChannelId), keepLastIfActive: true },
  });

  return {
    async enqueuePoll(data: JobData<'poll-channel'>, delayMs = 0): Promise<Job> {
      const payload = jobs['poll-channel'].payload.parse(data);
      return queues.poll.add('poll-channel', payload, pollOptions(payload.nodeChannelId, delayMs));
    },

    async enqueuePolls(targets: PollTarget[], reason: 'tick' | 'on-demand', requestId?: string): Promise<number> {
      if (targets.length === 0) return 0;
      // addBulk: one round trip per chunk instead of one per channel (10k channels per tick).
      const CHUNK = 500;
      for (let i = 0; i < targets.length; i += CHUNK) {
        await queues.poll.addBulk(
          targets.slice(i, i + CHUNK).map((t) => ({
            name: 'poll-channel',
            data: { nodeChannelId: t.nodeChannelId, reason, meta: requestId ? { requestId } : undefined },
            opts: pollOptions(t.nodeChannelId, t.delayMs),
          })),
        );
      }
      return targets.length;
    },

    async enqueueEvaluation(data: JobData<'evaluate-node'>): Promise<Job> {
      const payload = jobs['evaluate-node'].payload.parse(data);
      return queues.alerts.add('evaluate-node', payload, {
        jobId: evaluateJobId(payload.nodeChannelId, payload.epoch, payload.toEntryId),
      });
    },
  };
}

export type Producers = ReturnType<typeof createProducers>;

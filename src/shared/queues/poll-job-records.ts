import type { Redis } from 'ioredis';

/**
 * What GET /jobs/:id answers once BullMQ has trimmed an on-demand poll. The poll queue keeps its
 * finished jobs bounded by count, and at fleet scale (10k scheduled polls a minute) that count is
 * reached within seconds, so the promise "finished jobs are kept 24 hours" needs its own store:
 * one small key per watched job, living 24 hours from its last write.
 */
export const POLL_JOB_RECORD_TTL_S = 24 * 3600;

/** `retrying`: the last attempt failed and BullMQ will run it again. */
export type PollJobRecordState = 'waiting' | 'completed' | 'failed' | 'retrying';

export interface PollJobRecord {
  name: string;
  nodeChannelId: string;
  state: PollJobRecordState;
  attemptsMade: number;
  maxAttempts: number;
  failedReason: string | null;
  result: unknown;
  /** Epoch milliseconds, as BullMQ keeps them. */
  createdAt: number;
  processedAt: number | null;
  finishedAt: number | null;
}

/** The fields of a BullMQ poll job a record is made of; a Job fits, and so does a plain object in tests. */
export interface PollJobFields {
  id?: string;
  name: string;
  data: { nodeChannelId?: string };
  attemptsMade: number;
  opts: { attempts?: number };
  failedReason?: string;
  returnvalue?: unknown;
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
}

export function pollJobRecordKey(prefix: string, jobId: string): string {
  return `${prefix}:poll-job-record:${jobId}`;
}

export function createPollJobRecords(redis: Redis, prefix: string) {
  return {
    /** Marks a job as one a client will ask about: only watched jobs get their outcome recorded. */
    async watch(jobId: string, job: { nodeChannelId: string; createdAt: number; maxAttempts: number }): Promise<void> {
      const record: PollJobRecord = {
        name: 'poll-channel',
        nodeChannelId: job.nodeChannelId,
        state: 'waiting',
        attemptsMade: 0,
        maxAttempts: job.maxAttempts,
        failedReason: null,
        result: null,
        createdAt: job.createdAt,
        processedAt: null,
        finishedAt: null,
      };
      // NX: a second request deduplicated onto an already watched job must not erase its outcome.
      await redis.set(pollJobRecordKey(prefix, jobId), JSON.stringify(record), 'EX', POLL_JOB_RECORD_TTL_S, 'NX');
    },

    /**
     * Runs for every finished poll, so it must stay one command: XX writes only over a watch, with
     * no read first, and scheduled polls (unwatched) leave no key behind. True when it wrote.
     */
    async recordOutcome(job: PollJobFields, state: Exclude<PollJobRecordState, 'waiting'>): Promise<boolean> {
      if (!job.id || !job.data.nodeChannelId) return false;
      const record: PollJobRecord = {
        name: job.name,
        nodeChannelId: job.data.nodeChannelId,
        state,
        attemptsMade: job.attemptsMade,
        maxAttempts: job.opts.attempts ?? 1,
        failedReason: job.failedReason ?? null,
        result: job.returnvalue ?? null,
        createdAt: job.timestamp,
        processedAt: job.processedOn ?? null,
        finishedAt: job.finishedOn ?? null,
      };
      const written = await redis.set(pollJobRecordKey(prefix, job.id), JSON.stringify(record), 'EX', POLL_JOB_RECORD_TTL_S, 'XX');
      return written === 'OK';
    },

    async get(jobId: string): Promise<PollJobRecord | undefined> {
      const raw = await redis.get(pollJobRecordKey(prefix, jobId));
      return raw ? (JSON.parse(raw) as PollJobRecord) : undefined;
    },
  };
}

export type PollJobRecords = ReturnType<typeof createPollJobRecords>;

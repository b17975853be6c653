import type { Job } from 'bullmq';
import type { Logger } from '../shared/logger';
import type { JobData, JobName } from '../shared/queues/jobs';

export interface JobContext {
  job: Job;
  log: Logger;
}

/** Parses nothing and decides nothing: calls one use case with the payload and logs its outcome. */
export type Processor<N extends JobName> = (data: JobData<N>, ctx: JobContext) => Promise<unknown>;

/** One processor per job name: adding a job to the contract without a processor does not compile. */
export type Processors = { [N in JobName]: Processor<N> };

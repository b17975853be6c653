import type { Job } from 'bullmq';
import type { Logger } from '../shared/logger';
import type { Core } from '../shared/core';
import type { JobData, JobName } from '../shared/queues/jobs';
import { createPollTickProcessor } from './poll-tick.processor';
import { createPollChannelProcessor } from './poll-channel.processor';
import { createEvaluateNodeProcessor } from './evaluate-node.processor';
import { createNotImplementedProcessor } from './not-implemented.processor';

export interface JobContext {
  job: Job;
  /** The worker's lock token for the job (needed to move it to delayed). */
  token?: string;
  log: Logger;
}

export type Processor<N extends JobName> = (data: JobData<N>, ctx: JobContext) => Promise<unknown>;

/** One processor per job name: adding a job to the contract without a processor does not compile. */
export type Processors = { [N in JobName]: Processor<N> };

export function createProcessors(core: Core): Processors {
  return {
    'poll-tick': createPollTickProcessor(core),
    'poll-channel': createPollChannelProcessor(core),
    'evaluate-node': createEvaluateNodeProcessor(core),
    'deliver-notification': createNotImplementedProcessor('webhook delivery'),
    'apply-retention': createNotImplementedProcessor('retention'),
  };
}

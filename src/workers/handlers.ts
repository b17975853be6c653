import type { Job } from 'bullmq';
import type { Logger } from '../shared/logger';
import type { Core } from '../shared/core';
import type { JobData, JobName } from '../shared/queues/jobs';
import { createPollTickProcessor } from './poll-tick.processor';
import { createPollChannelProcessor } from './poll-channel.processor';
import { createEvaluateNodeProcessor } from './evaluate-node.processor';
import { createSweepConditionsProcessor } from './sweep-conditions.processor';
import { createDeliverNotificationProcessor } from './deliver-notification.processor';
import { createRelayNotificationsProcessor } from './relay-notifications.processor';
import { createNotifySystemEventProcessor } from './notify-system-event.processor';
import { createApplyRetentionProcessor } from './apply-retention.processor';

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
    'sweep-conditions': createSweepConditionsProcessor(core),
    'deliver-notification': createDeliverNotificationProcessor(core),
    'relay-notifications': createRelayNotificationsProcessor(core),
    'notify-system-event': createNotifySystemEventProcessor(core),
    'apply-retention': createApplyRetentionProcessor(core),
  };
}

import { runPollChannelJob, type PollChannelJobDeps } from '../shared/polling/poll-channel-job';
import type { Processor } from './processor';

/** One poll of one channel. Parking during a database outage and the breaker count are the job contract's (run-worker.ts). */
export function createPollChannelProcessor(deps: PollChannelJobDeps): Processor<'poll-channel'> {
  return (data, { log }) => runPollChannelJob(deps, data.nodeChannelId, log);
}

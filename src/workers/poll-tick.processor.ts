import { fanOutPolls, type FanOutDeps } from '../shared/polling/fan-out-polls';
import type { Processor } from './processor';

/** The poll tick (fan-out-polls.ts). */
export function createPollTickProcessor(deps: FanOutDeps): Processor<'poll-tick'> {
  return (_data, { log }) => fanOutPolls(deps, log);
}

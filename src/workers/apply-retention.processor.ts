import { runRetention, type RetentionDeps } from '../shared/retention/run-retention';
import type { Processor } from './processor';

/** Daily deletion of data past its retention (config.retention); errors go to the queue's retries. */
export function createApplyRetentionProcessor(deps: RetentionDeps): Processor<'apply-retention'> {
  return (_data, { log }) => runRetention(deps, log);
}

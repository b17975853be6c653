import { runConditionSweep } from '../shared/alerts/condition-sweep';
import type { Processor } from './processor';

/** Periodic check of node offline and channel access lost (condition-sweep.ts); logs each alert change. */
export function createSweepConditionsProcessor(deps: Parameters<typeof runConditionSweep>[0]): Processor<'sweep-conditions'> {
  return async (_data, { log }) => {
    const result = await runConditionSweep(deps, log);
    if ('skipped' in result) return result;
    const { changes, ...counts } = result;
    for (const c of changes) {
      log.info({ alertId: c.alert.id, nodeId: c.alert.nodeId, condition: c.alert.conditionKey, catchUp: c.alert.catchUp, notified: c.notified }, `alert ${c.change}`);
    }
    return counts;
  };
}

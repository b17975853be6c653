import { evaluateNode, type AlertEngineDeps } from '../shared/alerts/alert-engine';
import type { AlertEffectsFlushDeps } from '../shared/alerts/alert-effects';
import type { Processor } from './processor';

/** Evaluates the readings a poll inserted against the node's rules and data checks, and logs each alert change. */
export function createEvaluateNodeProcessor(deps: AlertEngineDeps & { flush: Omit<AlertEffectsFlushDeps, 'log'> }): Processor<'evaluate-node'> {
  return async (data, { log }) => {
    const { changes, ...summary } = await evaluateNode(deps, data, log);
    for (const c of changes) {
      log.info({ alertId: c.alert.id, nodeId: c.alert.nodeId, condition: c.alert.conditionKey, severity: c.alert.severity, catchUp: c.alert.catchUp, notified: c.notified }, `alert ${c.change}`);
    }
    return summary;
  };
}

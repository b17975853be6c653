import type { Core } from '../shared/core';
import { evaluateNewReadings } from '../shared/alerts/alert-engine';
import type { Processor } from './handlers';

/**
 * Evaluates the readings a poll inserted against the node's rules and data checks. Alerts and
 * their notifications are committed together; deliveries are queued and live events published
 * after commit (a failure there is repaired by the outbox relay, and live events are hints).
 */
export function createEvaluateNodeProcessor(core: Core): Processor<'evaluate-node'> {
  const deps = {
    db: core.db,
    rules: core.repos.alertRules,
    alerts: core.repos.alerts,
    maintenance: core.repos.maintenance,
    catchUpAgeMs: core.config.alerts.catchUpAgeMs,
    dataQualityMs: core.config.alerts.dataQualityMs,
  };
  return async (data, { log }) => {
    const result = await evaluateNewReadings(deps, data);
    await result.effects.flush({ db: core.db, producers: core.producers, events: core.events, log });
    for (const c of result.effects.changes) {
      log.info({ alertId: c.alert.id, nodeId: c.alert.nodeId, condition: c.alert.conditionKey, severity: c.alert.severity, catchUp: c.alert.catchUp, notified: c.notified }, `alert ${c.change}`);
    }
    const { effects: _effects, ...summary } = result;
    return summary;
  };
}

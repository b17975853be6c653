import type { Core } from '../shared/core';
import { sweepConditions } from '../shared/alerts/condition-sweep';
import type { Processor } from './handlers';

/**
 * Periodic check of node offline and channel access lost. Skipped while the DB breaker is open:
 * polls are parked then, so data looks older than it is and "offline" would be a false alarm.
 */
export function createSweepConditionsProcessor(core: Core): Processor<'sweep-conditions'> {
  const deps = {
    db: core.db,
    alerts: core.repos.alerts,
    maintenance: core.repos.maintenance,
    catchUpAgeMs: core.config.alerts.catchUpAgeMs,
    accessLostAfter: core.config.alerts.accessLostAfter,
  };
  return async (_data, { log }) => {
    if ((await core.breaker.snapshot()).state === 'open') return { skipped: 'database circuit open' };
    const result = await sweepConditions(deps);
    await result.effects.flush({ db: core.db, producers: core.producers, events: core.events, log });
    for (const node of result.wentOffline) {
      await core.events.publish('STATUS_UPDATE', { kind: 'community', communityId: node.communityId, distributorId: node.distributorId }, { node_id: node.nodeId, status: 'Offline' });
    }
    for (const c of result.effects.changes) {
      log.info({ alertId: c.alert.id, nodeId: c.alert.nodeId, condition: c.alert.conditionKey, catchUp: c.alert.catchUp, notified: c.notified }, `alert ${c.change}`);
    }
    const { effects: _effects, wentOffline, ...counts } = result;
    return { ...counts, wentOffline: wentOffline.length };
  };
}

import { DelayedError } from 'bullmq';
import type { Core } from '../shared/core';
import { evaluateNewReadings } from '../shared/alerts/alert-engine';
import { isDatabaseUnavailable } from '../shared/db/db-errors';
import type { Processor } from './handlers';

// Wait before retrying an evaluation parked by an unreachable database (unless a probe is due later).
const PARK_MS = 15_000;

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
  return async (data, { log, job, token }) => {
    let result;
    try {
      result = await evaluateNewReadings(deps, data);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      // An outage must not use up the attempts and drop the evaluation: park it until the
      // database is likely back (the breaker's next probe, when it is open).
      const snapshot = await core.breaker.snapshot();
      const until = Math.max(snapshot.nextProbeAt ?? 0, Date.now() + PARK_MS);
      log.warn({ err, nodeId: data.nodeId }, 'evaluation hit an unavailable database: parked');
      await job.moveToDelayed(until + Math.floor(Math.random() * core.config.circuit.rampMs), token);
      throw new DelayedError();
    }
    await result.effects.flush({ db: core.db, producers: core.producers, events: core.events, log });
    for (const c of result.effects.changes) {
      log.info({ alertId: c.alert.id, nodeId: c.alert.nodeId, condition: c.alert.conditionKey, severity: c.alert.severity, catchUp: c.alert.catchUp, notified: c.notified }, `alert ${c.change}`);
    }
    const { effects: _effects, ...summary } = result;
    return summary;
  };
}

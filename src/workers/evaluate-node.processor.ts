import type { Core } from '../shared/core';
import type { Processor } from './handlers';

/**
 * Receives the readings each poll inserted. Rule evaluation (thresholds, offline, data quality)
 * arrives with the alerts issue; until then the job records what it would evaluate, so the
 * contract and the outbox from the poll are exercised end to end.
 */
export function createEvaluateNodeProcessor(_core: Core): Processor<'evaluate-node'> {
  return async (data, { log }) => {
    const entries = data.toEntryId - data.fromEntryId + 1;
    log.info({ nodeId: data.nodeId, entries }, 'readings received for evaluation (no rules engine yet)');
    return { nodeId: data.nodeId, entries, rulesEvaluated: 0 };
  };
}

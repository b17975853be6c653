import type { Db } from '../db/knex';
import type { Tx } from '../db/transaction';
import type { RulePhase } from './alert-rules';

/** Per channel: the newest sample a condition has evaluated (recorded time in ms, then entry id). */
export type Watermarks = Record<string, { at: number; entryId: number }>;

export interface ConditionState {
  conditionKey: string;
  phase: RulePhase['phase'];
  since: Date | null;
  watermarks: Watermarks;
  lastNotifiedAt: Date | null;
}

interface ConditionStateRow {
  condition_key: string;
  phase: RulePhase['phase'];
  since: Date | null;
  watermarks: Watermarks | null;
  last_notified_at: Date | null;
}

const toConditionState = (r: ConditionStateRow): ConditionState => ({
  conditionKey: r.condition_key,
  phase: r.phase,
  since: r.since,
  watermarks: r.watermarks ?? {},
  lastNotifiedAt: r.last_notified_at,
});

/**
 * Where each alert condition of a node stands (its phase and watermarks).
 *
 * THE lock order of everything that changes alerts, so two writers never deadlock:
 *   1. the node's condition-state rows, in condition-key order (these methods);
 *   2. the alert rows (alerts.repository);
 *   3. the node's `nodes` row (node-status.repository, through refreshNodeStatus).
 * The evaluation, a user's acknowledge / resolve and a rule's retirement all follow it.
 */
export function createAlertConditionStateRepository(_db: Db) {
  return {
    /** Inserts missing state rows, then locks all of them in key order. */
    async lockStates(tx: Tx, nodeId: string, keys: string[]): Promise<Map<string, ConditionState>> {
      const sorted = [...keys].sort();
      if (sorted.length === 0) return new Map();
      await tx('alert_condition_state')
        .insert(sorted.map((condition_key) => ({ node_id: nodeId, condition_key })))
        .onConflict(['node_id', 'condition_key'])
        .ignore();
      const rows: ConditionStateRow[] = await tx('alert_condition_state').where({ node_id: nodeId }).whereIn('condition_key', sorted).orderBy('condition_key').forUpdate();
      return new Map(rows.map((r) => [r.condition_key, toConditionState(r)]));
    },

    /** Locks one condition's row if it exists (a user acting on one alert). */
    async lockOne(tx: Tx, nodeId: string, conditionKey: string): Promise<void> {
      await tx('alert_condition_state').where({ node_id: nodeId, condition_key: conditionKey }).forUpdate().first('node_id');
    },

    async save(tx: Tx, nodeId: string, state: ConditionState, now: Date): Promise<void> {
      await tx('alert_condition_state').where({ node_id: nodeId, condition_key: state.conditionKey }).update({
        phase: state.phase,
        since: state.since,
        watermarks: state.watermarks,
        last_notified_at: state.lastNotifiedAt,
        updated_at: now,
      });
    },

    /** Back to normal: a condition that still holds must hold for its duration again before a new alert. */
    async resetPhase(tx: Tx, nodeId: string, conditionKey: string): Promise<void> {
      await tx('alert_condition_state').where({ node_id: nodeId, condition_key: conditionKey }).update({ phase: 'normal', since: null });
    },
  };
}

export type AlertConditionStateRepository = ReturnType<typeof createAlertConditionStateRepository>;

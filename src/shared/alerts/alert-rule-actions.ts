import type { Db } from '../db/knex';
import { inTransaction, type Tx } from '../db/transaction';
import type { Scope } from '../auth/scope';
import type { AuditActor } from '../audit/audit-log.repository';
import { checkMergedRule, type AlertRule, type UpdateRuleInput } from './alert';
import { AlertEffects, type AlertEffectsFlushDeps, type AlertEffectsRepos } from './alert-effects';
import type { AlertsRepository } from './alerts.repository';
import type { AlertRulesRepository } from './alert-rules.repository';
import { loadAlertNode } from './alert-nodes.repository';

export interface AlertRuleActionDeps extends AlertEffectsRepos {
  db: Db;
  alerts: AlertsRepository;
  alertRules: AlertRulesRepository;
  flush: Omit<AlertEffectsFlushDeps, 'log'>;
}

/**
 * A rule disabled or deleted resolves its unresolved alerts, in the same transaction: nothing would
 * ever evaluate them again. Each affected node's status is brought in line.
 */
async function retireRule(deps: AlertRuleActionDeps, trx: Tx, effects: AlertEffects, rule: AlertRule, actor: AuditActor, why: string): Promise<void> {
  const now = new Date();
  const resolved = await deps.alerts.resolveAllOf(trx, rule.id, { at: now, by: actor.label, comment: why });
  for (const alert of resolved) {
    const node = await loadAlertNode(trx, alert.nodeId);
    if (!node) continue;
    await effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at: now });
    await effects.refreshNodeStatus(trx, node, now);
  }
}

/** Changes a rule; disabling it retires its alerts. Undefined when not in scope, `{ problem }` when the merged rule is invalid. */
export async function updateAlertRule(
  deps: AlertRuleActionDeps,
  input: { scope: Scope; actor: AuditActor; id: string; change: UpdateRuleInput },
  log: AlertEffectsFlushDeps['log'],
): Promise<AlertRule | undefined | { problem: string }> {
  const effects = new AlertEffects(deps);
  const result = await inTransaction(deps.db, async (trx) => {
    const updated = await deps.alertRules.update(trx, input.scope, input.id, input.change, checkMergedRule);
    if (!updated || 'problem' in updated) return updated;
    if (updated.previous.enabled && !updated.rule.enabled) await retireRule(deps, trx, effects, updated.rule, input.actor, 'rule disabled');
    return updated.rule;
  });
  await effects.flush({ ...deps.flush, log });
  return result;
}

/** Deletes a rule after retiring its alerts. False when it is not in scope. */
export async function deleteAlertRule(deps: AlertRuleActionDeps, input: { scope: Scope; actor: AuditActor; id: string }, log: AlertEffectsFlushDeps['log']): Promise<boolean> {
  const effects = new AlertEffects(deps);
  const deleted = await inTransaction(deps.db, async (trx) => {
    const rule = await deps.alertRules.getInScope(trx, input.scope, input.id);
    if (!rule) return false;
    await retireRule(deps, trx, effects, rule, input.actor, 'rule deleted');
    await deps.alertRules.delete(trx, rule.id);
    return true;
  });
  await effects.flush({ ...deps.flush, log });
  return deleted;
}

import type { Db } from '../db/knex';
import { inTransaction, type Tx } from '../db/transaction';
import type { Scope } from '../auth/scope';
import type { AuditActor } from '../audit/audit-log.repository';
import { assertMayChange } from '../tenancy/change-permission';
import type { Principal } from '../tenancy/principal';
import { lockTenantCap } from '../tenancy/tenant-cap-lock.repository';
import { enforceCap } from '../tenancy/tenant-limits';
import { checkMergedRule, type AlertRule, type CreateRuleInput, type UpdateRuleInput } from './alert';
import { AlertEffects, type AlertEffectsFlushDeps, type AlertEffectsRepos } from './alert-effects';
import type { AlertsRepository } from './alerts.repository';
import type { AlertRulesRepository, OwnedAlertRule } from './alert-rules.repository';
import { loadAlertNode } from './alert-nodes.repository';

const NOUN = { one: 'alert rule', many: 'alert rules' };

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

/** Stores a rule with its creator, unless the community already has `maxPerCommunity` rules (409). */
export async function createAlertRule(
  deps: Pick<AlertRuleActionDeps, 'db' | 'alertRules'>,
  input: { createdBy: Principal; communityId: string; rule: CreateRuleInput; maxPerCommunity: number },
): Promise<OwnedAlertRule> {
  return inTransaction(deps.db, async (trx) => {
    await lockTenantCap(trx, 'alert-rules', input.communityId);
    const cap = { what: 'alert rules', per: `community ${input.communityId}`, max: input.maxPerCommunity, setting: 'TENANT_MAX_ALERT_RULES_PER_COMMUNITY' };
    enforceCap(cap, await deps.alertRules.countInCommunity(trx, input.communityId));
    return deps.alertRules.create(input.rule, input.communityId, input.createdBy, trx);
  });
}

/**
 * Changes a rule; disabling it retires its alerts. Undefined when not in scope, `{ problem }` when
 * the merged rule is invalid; 403 when the key may not change what the rule's creator made.
 */
export async function updateAlertRule(
  deps: AlertRuleActionDeps,
  input: { scope: Scope; actor: AuditActor; by: Principal; id: string; change: UpdateRuleInput },
  log: AlertEffectsFlushDeps['log'],
): Promise<OwnedAlertRule | undefined | { problem: string }> {
  const effects = new AlertEffects(deps);
  const result = await inTransaction(deps.db, async (trx) => {
    // The creator never changes, so reading it before the locking read in update() is safe.
    const current = await deps.alertRules.getInScope(trx, input.scope, input.id);
    if (!current) return undefined;
    assertMayChange(NOUN, input.by, current.createdBy);
    const updated = await deps.alertRules.update(trx, input.scope, input.id, input.change, checkMergedRule);
    if (!updated || 'problem' in updated) return updated;
    if (updated.previous.enabled && !updated.rule.enabled) await retireRule(deps, trx, effects, updated.rule, input.actor, 'rule disabled');
    return updated.rule;
  });
  await effects.flush({ ...deps.flush, log });
  return result;
}

/** Deletes a rule after retiring its alerts. False when it is not in scope; 403 when the key may not change what the rule's creator made. */
export async function deleteAlertRule(deps: AlertRuleActionDeps, input: { scope: Scope; actor: AuditActor; by: Principal; id: string }, log: AlertEffectsFlushDeps['log']): Promise<boolean> {
  const effects = new AlertEffects(deps);
  const deleted = await inTransaction(deps.db, async (trx) => {
    const rule = await deps.alertRules.getInScope(trx, input.scope, input.id);
    if (!rule) return false;
    assertMayChange(NOUN, input.by, rule.createdBy);
    await retireRule(deps, trx, effects, rule, input.actor, 'rule deleted');
    await deps.alertRules.delete(trx, rule.id);
    return true;
  });
  await effects.flush({ ...deps.flush, log });
  return deleted;
}

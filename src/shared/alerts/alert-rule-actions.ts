import { isDeepStrictEqual } from 'node:util';
import type { Db } from '../db/knex';
import { inTransaction, type Tx } from '../db/transaction';
import type { Scope } from '../auth/scope';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
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

/** The fields of a rule its audit entries record (and compare, for a change). */
const AUDITED_FIELDS = ['name', 'nodeId', 'category', 'metric', 'operator', 'threshold', 'clearThreshold', 'forSeconds', 'severity', 'cooldownSeconds', 'enabled'] as const;

const auditedRule = (rule: AlertRule) => Object.fromEntries(AUDITED_FIELDS.map((f) => [f, rule[f]]));

function changedFields(before: AlertRule, after: AlertRule): Record<string, { from: unknown; to: unknown }> {
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const f of AUDITED_FIELDS) if (!isDeepStrictEqual(before[f], after[f])) changed[f] = { from: before[f], to: after[f] };
  return changed;
}

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
async function retireRule(deps: AlertRuleActionDeps, trx: Tx, effects: AlertEffects, rule: AlertRule, actor: AuditActor, why: string): Promise<number> {
  const now = new Date();
  const resolved = await deps.alerts.resolveAllOf(trx, rule.id, { at: now, by: actor.label, comment: why });
  for (const alert of resolved) {
    const node = await loadAlertNode(trx, alert.nodeId);
    if (!node) continue;
    await effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at: now });
    await effects.refreshNodeStatus(trx, node, now);
  }
  return resolved.length;
}

/** Stores a rule with its creator, unless the community already has `maxPerCommunity` rules (409). Audited (alert_rule.create). */
export async function createAlertRule(
  deps: Pick<AlertRuleActionDeps, 'db' | 'alertRules'>,
  input: { actor: AuditActor; createdBy: Principal; communityId: string; rule: CreateRuleInput; maxPerCommunity: number },
): Promise<OwnedAlertRule> {
  return inTransaction(deps.db, async (trx) => {
    await lockTenantCap(trx, 'alert-rules', input.communityId);
    const cap = { what: 'alert rules', per: `community ${input.communityId}`, max: input.maxPerCommunity, setting: 'TENANT_MAX_ALERT_RULES_PER_COMMUNITY' };
    enforceCap(cap, await deps.alertRules.countInCommunity(trx, input.communityId));
    const rule = await deps.alertRules.create(input.rule, input.communityId, input.createdBy, trx);
    await recordAudit(trx, { actor: input.actor, action: 'alert_rule.create', resourceType: 'alert_rule', resourceId: rule.id, communityId: rule.communityId, details: auditedRule(rule) });
    return rule;
  });
}

/**
 * Changes a rule; disabling it retires its alerts. Audited (alert_rule.update: each field changed,
 * before and after; none when nothing changed). Undefined when not in scope, `{ problem }` when
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
    const alertsResolved = updated.previous.enabled && !updated.rule.enabled ? await retireRule(deps, trx, effects, updated.rule, input.actor, 'rule disabled') : 0;
    const changed = changedFields(updated.previous, updated.rule);
    if (Object.keys(changed).length > 0) {
      await recordAudit(trx, { actor: input.actor, action: 'alert_rule.update', resourceType: 'alert_rule', resourceId: updated.rule.id, communityId: updated.rule.communityId, details: { name: updated.rule.name, changed, alertsResolved } });
    }
    return updated.rule;
  });
  await effects.flush({ ...deps.flush, log });
  return result;
}

/** Deletes a rule after retiring its alerts; audited (alert_rule.delete). False when it is not in scope; 403 when the key may not change what the rule's creator made. */
export async function deleteAlertRule(deps: AlertRuleActionDeps, input: { scope: Scope; actor: AuditActor; by: Principal; id: string }, log: AlertEffectsFlushDeps['log']): Promise<boolean> {
  const effects = new AlertEffects(deps);
  const deleted = await inTransaction(deps.db, async (trx) => {
    const rule = await deps.alertRules.getInScope(trx, input.scope, input.id);
    if (!rule) return false;
    assertMayChange(NOUN, input.by, rule.createdBy);
    const alertsResolved = await retireRule(deps, trx, effects, rule, input.actor, 'rule deleted');
    await deps.alertRules.delete(trx, rule.id);
    await recordAudit(trx, { actor: input.actor, action: 'alert_rule.delete', resourceType: 'alert_rule', resourceId: rule.id, communityId: rule.communityId, details: { ...auditedRule(rule), alertsResolved } });
    return true;
  });
  await effects.flush({ ...deps.flush, log });
  return deleted;
}

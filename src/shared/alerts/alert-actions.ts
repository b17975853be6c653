import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { ConflictError, NotFoundError } from '../errors';
import type { Scope } from '../auth/scope';
import { auditTrail, recordAudit, type AuditActor, type AuditEntry } from '../audit/audit-log.repository';
import type { Alert } from './alert';
import { AlertEffects, type AlertEffectsFlushDeps, type AlertEffectsRepos } from './alert-effects';
import type { AlertsRepository } from './alerts.repository';
import type { AlertConditionStateRepository } from './alert-condition-state.repository';
import { loadAlertNode } from './alert-nodes.repository';

export interface AlertActionDeps extends AlertEffectsRepos {
  db: Db;
  alerts: AlertsRepository;
  conditionState: AlertConditionStateRepository;
  /** After-commit effects (outbox hand-off, live events). */
  flush: Omit<AlertEffectsFlushDeps, 'log'>;
}

export type AlertAction = 'acknowledge' | 'resolve';

/** Built-in conditions that end by themselves; a user's resolve would only be re-opened by the next sweep. */
const SELF_RESOLVING = new Set(['offline', 'access_lost']);

const notFound = (id: string) => new NotFoundError(`Alert ${id} was not found`, 'ALERT_NOT_FOUND');

/** An alert in scope with its audit trail. */
export async function alertWithAudit(deps: Pick<AlertActionDeps, 'db' | 'alerts'>, scope: Scope, id: string): Promise<Alert & { audit: AuditEntry[] }> {
  const alert = await deps.alerts.get(scope, id);
  if (!alert) throw notFound(id);
  return { ...alert, audit: await auditTrail(deps.db, 'alert', id) };
}

/**
 * A user acknowledges or resolves an alert. The change, its audit entry, its notification and the
 * node's status are one transaction, taking locks in the order alert-condition-state.repository.ts
 * gives; a resolve also sends the condition back to normal, so a breach that goes on must last its
 * duration again before a new alert opens.
 */
export async function actOnAlert(
  deps: AlertActionDeps,
  input: { scope: Scope; actor: AuditActor; id: string; action: AlertAction; comment?: string },
  log: AlertEffectsFlushDeps['log'],
): Promise<Alert> {
  const { scope, actor, id, action, comment } = input;
  const seen = await deps.alerts.get(scope, id);
  if (!seen) throw notFound(id);
  if (action === 'resolve' && SELF_RESOLVING.has(seen.kind)) {
    throw new ConflictError(
      `A "${seen.kind}" alert resolves itself when the ${seen.kind === 'offline' ? 'node sends data again' : 'channel can be read again'}; acknowledge it instead (or deactivate the node)`,
      'ALERT_SELF_RESOLVING',
    );
  }
  const effects = new AlertEffects(deps);
  const updated = await inTransaction(deps.db, async (trx) => {
    await deps.conditionState.lockOne(trx, seen.nodeId, seen.conditionKey);
    const alert = await deps.alerts.getForUpdate(trx, scope, id);
    if (!alert) throw notFound(id);
    if (alert.status === 'resolved') throw new ConflictError(`Alert ${id} is already resolved (by ${alert.resolvedBy ?? 'unknown'})`, 'ALERT_RESOLVED');
    if (action === 'acknowledge' && alert.status === 'acknowledged') {
      throw new ConflictError(`Alert ${id} is already acknowledged (by ${alert.acknowledgedBy ?? 'unknown'})`, 'ALERT_ACKNOWLEDGED');
    }
    const now = new Date();
    const next = action === 'acknowledge' ? await deps.alerts.acknowledge(trx, id, actor.label, now) : await deps.alerts.resolveById(trx, id, actor.label, comment!, now);
    if (action === 'resolve') await deps.conditionState.resetPhase(trx, alert.nodeId, alert.conditionKey);
    await recordAudit(trx, { actor, action: `alert.${action}`, resourceType: 'alert', resourceId: id, communityId: alert.communityId, details: comment ? { comment } : {}, at: now });
    const node = await loadAlertNode(trx, alert.nodeId);
    if (node) {
      // People hear about an acknowledge or resolve only of an alert they were told about.
      await effects.record(trx, action === 'acknowledge' ? 'acknowledged' : 'resolved', next, node, { notify: next.notified, at: now });
      if (action === 'resolve') await effects.refreshNodeStatus(trx, node, now);
    }
    return next;
  });
  await effects.flush({ ...deps.flush, log });
  return updated;
}

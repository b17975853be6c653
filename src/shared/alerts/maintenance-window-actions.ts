import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { NotFoundError } from '../errors';
import type { Scope } from '../auth/scope';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import type { MaintenanceWindow, MaintenanceWindowsRepository } from './maintenance-windows.repository';

export interface MaintenanceWindowActionDeps {
  db: Db;
  maintenance: MaintenanceWindowsRepository;
}

/** Opens a maintenance window (one node, or a whole community) with its audit entry. */
export async function openMaintenanceWindow(
  deps: MaintenanceWindowActionDeps,
  input: { actor: AuditActor; communityId: string; nodeId: string | null; startsAt: Date; endsAt: Date; reason: string },
): Promise<MaintenanceWindow> {
  return inTransaction(deps.db, async (trx) => {
    const created = await deps.maintenance.create(
      { communityId: input.communityId, nodeId: input.nodeId, startsAt: input.startsAt, endsAt: input.endsAt, reason: input.reason, createdBy: input.actor.label },
      trx,
    );
    await recordAudit(trx, {
      actor: input.actor,
      action: 'maintenance.create',
      resourceType: 'maintenance_window',
      resourceId: created.id,
      communityId: input.communityId,
      details: { nodeId: created.nodeId, startsAt: input.startsAt.toISOString(), endsAt: input.endsAt.toISOString(), reason: input.reason },
    });
    return created;
  });
}

/** Deletes a window in scope with its audit entry; 404 when it is not visible. */
export async function deleteMaintenanceWindow(deps: MaintenanceWindowActionDeps, input: { actor: AuditActor; scope: Scope; id: string }): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const window = await deps.maintenance.get(input.scope, input.id, trx);
    if (!window) throw new NotFoundError(`Maintenance window ${input.id} was not found`, 'MAINTENANCE_WINDOW_NOT_FOUND');
    await deps.maintenance.delete(input.id, trx);
    await recordAudit(trx, { actor: input.actor, action: 'maintenance.delete', resourceType: 'maintenance_window', resourceId: input.id, communityId: window.communityId, details: { reason: window.reason } });
  });
}

import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { NotFoundError } from '../errors';
import type { Scope } from '../auth/scope';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import { assertMayChange } from '../tenancy/change-permission';
import type { Principal } from '../tenancy/principal';
import { lockTenantCap } from '../tenancy/tenant-cap-lock.repository';
import { enforceCap } from '../tenancy/tenant-limits';
import { assertMayOpenWindow } from './maintenance-window-policy';
import type { MaintenanceWindow, MaintenanceWindowsRepository } from './maintenance-windows.repository';

export interface MaintenanceWindowActionDeps {
  db: Db;
  maintenance: MaintenanceWindowsRepository;
}

const NOUN = { one: 'maintenance window', many: 'maintenance windows' };

/**
 * Opens a maintenance window (one node, or a whole community) with its audit entry. Refused (403 /
 * 400) when the key's role may not open it (maintenance-window-policy.ts), and (409) when the
 * community already has `maxPerCommunity` windows that have not ended.
 */
export async function openMaintenanceWindow(
  deps: MaintenanceWindowActionDeps,
  input: { actor: AuditActor; by: Principal; communityId: string; nodeId: string | null; startsAt: Date; endsAt: Date; reason: string; maxPerCommunity: number },
): Promise<MaintenanceWindow> {
  assertMayOpenWindow(input.by.role, input);
  return inTransaction(deps.db, async (trx) => {
    await lockTenantCap(trx, 'maintenance-windows', input.communityId);
    const cap = { what: 'maintenance windows in force or scheduled', per: `community ${input.communityId}`, max: input.maxPerCommunity, setting: 'TENANT_MAX_MAINTENANCE_WINDOWS_PER_COMMUNITY' };
    enforceCap(cap, await deps.maintenance.countNotEnded(trx, input.communityId, new Date()));
    const created = await deps.maintenance.create(
      { communityId: input.communityId, nodeId: input.nodeId, startsAt: input.startsAt, endsAt: input.endsAt, reason: input.reason, createdBy: input.by, createdByLabel: input.actor.label },
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

/** Deletes a window in scope with its audit entry; 404 when it is not visible, 403 when the key may not change what its creator made. */
export async function deleteMaintenanceWindow(deps: MaintenanceWindowActionDeps, input: { actor: AuditActor; by: Principal; scope: Scope; id: string }): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const window = await deps.maintenance.get(input.scope, input.id, trx);
    if (!window) throw new NotFoundError(`Maintenance window ${input.id} was not found`, 'MAINTENANCE_WINDOW_NOT_FOUND');
    assertMayChange(NOUN, input.by, window.createdBy);
    await deps.maintenance.delete(input.id, trx);
    await recordAudit(trx, { actor: input.actor, action: 'maintenance.delete', resourceType: 'maintenance_window', resourceId: input.id, communityId: window.communityId, details: { reason: window.reason } });
  });
}

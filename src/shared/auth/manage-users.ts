import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import type { CommunitiesRepository } from '../communities/communities.repository';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Role, Scope } from './scope';
import type { UserChange, UserRecord, UsersRepository } from './users.repository';

export interface ManageUsersDeps {
  db: Db;
  users: UsersRepository;
  communities: Pick<CommunitiesRepository, 'findInScope' | 'distributorExists'>;
}

interface Placement {
  role: Role;
  distributorId: string | null;
  communityId: string | null;
}

/**
 * The same placement rules as API keys: a superadmin has no ids, a distributor its distributorId,
 * a customer its communityId; a distributor places customers in its own communities only.
 */
async function checkPlacement(deps: ManageUsersDeps, scope: Scope, p: Placement): Promise<void> {
  if (p.role === 'superadmin' && (p.distributorId || p.communityId)) throw new ValidationError('Invalid body: a superadmin user has no distributorId or communityId');
  if (p.role === 'distributor' && (!p.distributorId || p.communityId)) {
    throw new ValidationError('Invalid body: body.distributorId: is required for a distributor user (and communityId is not allowed)');
  }
  if (p.role === 'customer' && (!p.communityId || p.distributorId)) throw new ValidationError('Invalid body: body.communityId: is required for a customer user (and distributorId is not allowed)');
  if (scope.role === 'distributor' && p.role !== 'customer') throw new ForbiddenError('A distributor may only manage customer users');
  if (p.communityId && !(await deps.communities.findInScope(scope, p.communityId))) throw new NotFoundError(`Community ${p.communityId} was not found`, 'COMMUNITY_NOT_FOUND');
  if (p.distributorId && !(await deps.communities.distributorExists(p.distributorId))) throw new NotFoundError(`Distributor ${p.distributorId} was not found`, 'DISTRIBUTOR_NOT_FOUND');
}

const audited = (u: UserRecord) => ({ email: u.email, role: u.role, distributorId: u.distributorId, communityId: u.communityId, disabled: u.disabledAt !== null });

/** Gives a Supabase user (its id is the token's sub) a role here. 409 USER_EXISTS when it already has one. */
export async function createUser(
  deps: ManageUsersDeps,
  input: { scope: Scope; actor: AuditActor; user: Placement & { id: string; email: string | null; label: string | null } },
): Promise<UserRecord> {
  await checkPlacement(deps, input.scope, input.user);
  return inTransaction(deps.db, async (tx) => {
    const created = await deps.users.create(input.user, 'api', tx);
    if (created === 'exists') throw new ConflictError(`User ${input.user.id} already exists: change it with PATCH /api/v1/users/${input.user.id}`, 'USER_EXISTS');
    await recordAudit(tx, { actor: input.actor, action: 'user.created', resourceType: 'user', resourceId: created.id, communityId: created.communityId, details: audited(created) });
    return created;
  });
}

/** The changed user, or undefined when the scope may not manage it (404). `placementChanged` tells the caller to close its sockets. */
export async function updateUser(
  deps: ManageUsersDeps,
  input: { scope: Scope; actor: AuditActor; id: string; change: UserChange },
): Promise<{ user: UserRecord; accessChanged: boolean } | undefined> {
  return inTransaction(deps.db, async (tx) => {
    const current = await deps.users.findManageable(input.scope, input.id, tx, true);
    if (!current) return undefined;
    const next: Placement = {
      role: input.change.role ?? current.role,
      distributorId: input.change.distributorId !== undefined ? input.change.distributorId : current.distributorId,
      communityId: input.change.communityId !== undefined ? input.change.communityId : current.communityId,
    };
    // A role change without new ids drops the ids the old role needed.
    if (input.change.role && input.change.role !== current.role) {
      if (next.role !== 'distributor' && input.change.distributorId === undefined) next.distributorId = null;
      if (next.role !== 'customer' && input.change.communityId === undefined) next.communityId = null;
    }
    await checkPlacement(deps, input.scope, next);
    const updated = await deps.users.update(input.id, { ...input.change, ...next }, tx);
    if (!updated) return undefined;
    await recordAudit(tx, { actor: input.actor, action: 'user.updated', resourceType: 'user', resourceId: updated.id, communityId: updated.communityId, details: { before: audited(current), after: audited(updated) } });
    const accessChanged =
      current.role !== updated.role || current.distributorId !== updated.distributorId || current.communityId !== updated.communityId || (current.disabledAt === null) !== (updated.disabledAt === null);
    return { user: updated, accessChanged };
  });
}

/** True when deleted; false when the scope may not manage it (404). */
export async function deleteUser(deps: ManageUsersDeps, input: { scope: Scope; actor: AuditActor; id: string }): Promise<boolean> {
  return inTransaction(deps.db, async (tx) => {
    const current = await deps.users.findManageable(input.scope, input.id, tx, true);
    if (!current || !(await deps.users.delete(current.id, tx))) return false;
    await recordAudit(tx, { actor: input.actor, action: 'user.deleted', resourceType: 'user', resourceId: current.id, communityId: current.communityId, details: audited(current) });
    return true;
  });
}

import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import type { CommunitiesRepository, Community, Distributor } from './communities.repository';

/** Creates a community and records who did, in one transaction. The entry is the community's own, so its distributor sees it. */
export async function createCommunity(
  deps: { db: Db; communities: Pick<CommunitiesRepository, 'create'> },
  input: { actor: AuditActor; community: { slug: string; name: string; distributorId: string | null } },
): Promise<Community | 'slug_taken'> {
  return inTransaction(deps.db, async (tx) => {
    const created = await deps.communities.create(input.community, tx);
    if (created === 'slug_taken') return created;
    await recordAudit(tx, {
      actor: input.actor,
      action: 'community.create',
      resourceType: 'community',
      resourceId: created.id,
      communityId: created.id,
      details: { slug: created.slug, name: created.name, distributorId: created.distributorId },
    });
    return created;
  });
}

/** Creates a distributor and records who did, in one transaction; system-wide (no community): superadmins see it. */
export async function createDistributor(deps: { db: Db; communities: Pick<CommunitiesRepository, 'createDistributor'> }, input: { actor: AuditActor; name: string }): Promise<Distributor | 'name_taken'> {
  return inTransaction(deps.db, async (tx) => {
    const created = await deps.communities.createDistributor(input.name, tx);
    if (created === 'name_taken') return created;
    await recordAudit(tx, { actor: input.actor, action: 'distributor.create', resourceType: 'distributor', resourceId: created.id, communityId: null, details: { name: created.name } });
    return created;
  });
}

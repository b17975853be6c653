import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import type { ApiKeyRecord, ApiKeysRepository } from './api-keys.repository';
import type { Scope } from './scope';

/** What an audit entry says about a key: who it is for, never the key (the prefix is already public: GET /api-keys shows it). */
const audited = (k: ApiKeyRecord) => ({ label: k.label, prefix: k.prefix, role: k.role, distributorId: k.distributorId, communityId: k.communityId, expiresAt: k.expiresAt });

/**
 * Issues a key and records who issued it, in one transaction. The entry belongs to the key's
 * community (a customer key), so its distributor sees it; superadmin and distributor keys have
 * none and are seen by superadmins only.
 */
export async function issueApiKey(
  deps: { db: Db; apiKeys: Pick<ApiKeysRepository, 'create'> },
  input: { actor: AuditActor; key: { label: string; role: Scope['role']; distributorId: string | null; communityId: string | null; expiresAt: Date | null } },
): Promise<{ key: string; record: ApiKeyRecord }> {
  return inTransaction(deps.db, async (tx) => {
    const issued = await deps.apiKeys.create(input.key, tx);
    const { record } = issued;
    await recordAudit(tx, { actor: input.actor, action: 'api_key.issue', resourceType: 'api_key', resourceId: record.id, communityId: record.communityId, details: audited(record) });
    return issued;
  });
}

/** Revokes a key and records who did, in one transaction; a key already revoked is left as it is, with no new entry. */
export async function revokeApiKey(deps: { db: Db; apiKeys: Pick<ApiKeysRepository, 'revoke'> }, input: { actor: AuditActor; key: ApiKeyRecord }): Promise<boolean> {
  return inTransaction(deps.db, async (tx) => {
    if (!(await deps.apiKeys.revoke(input.key.id, tx))) return false;
    const { key } = input;
    await recordAudit(tx, { actor: input.actor, action: 'api_key.revoke', resourceType: 'api_key', resourceId: key.id, communityId: key.communityId, details: audited(key) });
    return true;
  });
}

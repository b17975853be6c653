import type { Db } from '../db/knex';
import type { Scope } from './scope';
import { generateApiKey, hashApiKey, prefixOf, sameHash } from './api-key';

export interface ApiKeyRecord {
  id: string;
  prefix: string;
  label: string;
  role: Scope['role'];
  distributorId: string | null;
  communityId: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface ApiKeyRow {
  id: string;
  key_prefix: string;
  key_hash: string;
  label: string;
  role: Scope['role'];
  distributor_id: string | null;
  community_id: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toRecord = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  prefix: r.key_prefix,
  label: r.label,
  role: r.role,
  distributorId: r.distributor_id,
  communityId: r.community_id,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

export function scopeOf(k: Pick<ApiKeyRecord, 'role' | 'distributorId' | 'communityId'>): Scope {
  if (k.role === 'distributor' && k.distributorId) return { role: 'distributor', distributorId: k.distributorId };
  if (k.role === 'customer' && k.communityId) return { role: 'customer', communityId: k.communityId };
  return { role: 'superadmin' };
}

export function createApiKeysRepository(db: Db) {
  return {
    /** The active key matching `key`, or undefined. Compares hashes in constant time. */
    async authenticate(key: string): Promise<ApiKeyRecord | undefined> {
      const row: ApiKeyRow | undefined = await db('api_keys').where({ key_prefix: prefixOf(key) }).whereNull('revoked_at').first();
      if (!row || !sameHash(row.key_hash, hashApiKey(key))) return undefined;
      // Best effort and at most once a minute per key: authentication must not wait on this write.
      if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
        void db('api_keys').where({ id: row.id }).update({ last_used_at: db.fn.now() }).catch(() => undefined);
      }
      return toRecord(row);
    },

    async create(input: { label: string; role: Scope['role']; distributorId: string | null; communityId: string | null }): Promise<{ key: string; record: ApiKeyRecord }> {
      const { key, prefix } = generateApiKey();
      const [row]: ApiKeyRow[] = await db('api_keys')
        .insert({
          key_prefix: prefix,
          key_hash: hashApiKey(key),
          label: input.label,
          role: input.role,
          distributor_id: input.distributorId,
          community_id: input.communityId,
        })
        .returning('*');
      return { key, record: toRecord(row!) };
    },

    /** Makes `key` a superadmin key (idempotent): how ADMIN_API_KEY bootstraps access. */
    async ensureBootstrapAdmin(key: string): Promise<void> {
      await db('api_keys')
        .insert({ key_prefix: prefixOf(key), key_hash: hashApiKey(key), label: 'bootstrap (ADMIN_API_KEY)', role: 'superadmin' })
        .onConflict('key_hash')
        .merge({ revoked_at: null, role: 'superadmin', distributor_id: null, community_id: null });
    },

    async list(filter: { distributorId?: string }): Promise<ApiKeyRecord[]> {
      const q = db('api_keys').select('*').orderBy('created_at');
      if (filter.distributorId) {
        q.where((w) =>
          w.where('distributor_id', filter.distributorId!).orWhereIn('community_id', (s) => s.select('id').from('communities').where('distributor_id', filter.distributorId!)),
        );
      }
      const rows: ApiKeyRow[] = await q;
      return rows.map(toRecord);
    },

    async revoke(id: string): Promise<boolean> {
      return (await db('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() })) > 0;
    },

    async findById(id: string): Promise<ApiKeyRecord | undefined> {
      const row: ApiKeyRow | undefined = await db('api_keys').where({ id }).first();
      return row ? toRecord(row) : undefined;
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;

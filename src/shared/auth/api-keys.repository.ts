import type { Db } from '../db/knex';
import type { Conn } from '../db/transaction';
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
  /** When the key stops working (401 API_KEY_EXPIRED from then on); null: never. */
  expiresAt: string | null;
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
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  bootstrapped_at: Date | null;
}

/** What a start did with ADMIN_API_KEY (see ensureBootstrapAdmin). */
export interface BootstrapOutcome {
  keyId: string;
  /** The configured ADMIN_API_KEY is revoked: it stays refused until the operator sets a new one. */
  revoked: boolean;
  /** Older bootstrap keys this start revoked (their caches and sockets elsewhere must hear of it). */
  revokedOthers: string[];
}

const BOOTSTRAP_LABEL = 'bootstrap (ADMIN_API_KEY)';
// Any constant works: it only makes concurrent API starts take turns in ensureBootstrapAdmin.
const BOOTSTRAP_LOCK = 'evara:bootstrap-admin-key';

const toRecord = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  prefix: r.key_prefix,
  label: r.label,
  role: r.role,
  distributorId: r.distributor_id,
  communityId: r.community_id,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at?.toISOString() ?? null,
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
    /**
     * The unrevoked key matching `key`, expired or not (the caller tells the two apart: see
     * api-key-cache.ts), or undefined. Compares hashes in constant time.
     */
    async findByKey(key: string): Promise<ApiKeyRecord | undefined> {
      const row: ApiKeyRow | undefined = await db('api_keys').where({ key_prefix: prefixOf(key) }).whereNull('revoked_at').first();
      return row && sameHash(row.key_hash, hashApiKey(key)) ? toRecord(row) : undefined;
    },

    /**
     * Sets last_used_at to now unless it was set less than a minute ago; true when it wrote. The
     * guard keeps processes that each throttle on their own from writing the row more than once a minute.
     */
    async touchLastUsed(id: string): Promise<boolean> {
      const updated = await db('api_keys')
        .where({ id })
        .where((w) => w.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw(`now() - interval '1 minute'`)))
        .update({ last_used_at: db.fn.now() });
      return updated > 0;
    },

    /** Issues a key (in the caller's transaction when `conn` is one); the key itself is only in this answer. */
    async create(
      input: { label: string; role: Scope['role']; distributorId: string | null; communityId: string | null; expiresAt?: Date | null },
      conn: Conn = db,
    ): Promise<{ key: string; record: ApiKeyRecord }> {
      const { key, prefix } = generateApiKey();
      const [row]: ApiKeyRow[] = await conn('api_keys')
        .insert({
          key_prefix: prefix,
          key_hash: hashApiKey(key),
          label: input.label,
          role: input.role,
          distributor_id: input.distributorId,
          community_id: input.communityId,
          expires_at: input.expiresAt ?? null,
        })
        .returning('*');
      return { key, record: toRecord(row!) };
    },

    /**
     * Makes `key` (ADMIN_API_KEY) the bootstrap superadmin and revokes every older bootstrap key, in
     * one transaction that concurrent starts take in turns. A revoked key is never restored: if
     * `key` is revoked it stays so. A start with a key older than the newest bootstrap key (a
     * stale deploy) revokes that key rather than the newer one.
     */
    async ensureBootstrapAdmin(key: string): Promise<BootstrapOutcome> {
      return db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [BOOTSTRAP_LOCK]);
        // clock_timestamp(), not now(): the order of bootstraps is the order in which they got the lock.
        const [row]: ApiKeyRow[] = await trx('api_keys')
          .insert({ key_prefix: prefixOf(key), key_hash: hashApiKey(key), label: BOOTSTRAP_LABEL, role: 'superadmin', bootstrapped_at: trx.raw('clock_timestamp()') })
          .onConflict('key_hash')
          .merge({ role: 'superadmin', distributor_id: null, community_id: null, bootstrapped_at: trx.raw('coalesce(api_keys.bootstrapped_at, clock_timestamp())') })
          .returning('*');
        const current = row!;
        const revokeNow = { revoked_at: trx.fn.now() };
        // Compared in SQL: a JS Date would round the microseconds away.
        const newer = await trx('api_keys')
          .where('bootstrapped_at', '>', trx('api_keys').select('bootstrapped_at').where({ id: current.id }))
          .first('id');
        if (newer) {
          await trx('api_keys').where({ id: current.id }).whereNull('revoked_at').update(revokeNow);
          return { keyId: current.id, revoked: true, revokedOthers: [] };
        }
        const others: Array<{ id: string }> = await trx('api_keys')
          .whereNotNull('bootstrapped_at')
          .whereNot({ id: current.id })
          .whereNull('revoked_at')
          .update(revokeNow)
          .returning('id');
        return { keyId: current.id, revoked: current.revoked_at !== null, revokedOthers: others.map((o) => o.id) };
      });
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

    /** True when this call revoked it (false: unknown or already revoked). */
    async revoke(id: string, conn: Conn = db): Promise<boolean> {
      return (await conn('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: conn.fn.now() })) > 0;
    },

    async findById(id: string): Promise<ApiKeyRecord | undefined> {
      const row: ApiKeyRow | undefined = await db('api_keys').where({ id }).first();
      return row ? toRecord(row) : undefined;
    },

    /** The keys with these ids, revoked or not (the live sockets' periodic re-check). */
    async findByIds(ids: readonly string[]): Promise<ApiKeyRecord[]> {
      if (ids.length === 0) return [];
      const rows: ApiKeyRow[] = await db('api_keys').whereIn('id', ids);
      return rows.map(toRecord);
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;

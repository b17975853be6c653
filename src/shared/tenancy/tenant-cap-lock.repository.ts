import type { Tx } from '../db/transaction';

/**
 * Serialises the creates that count against one cap (`cap` for `ownerId`), until the caller's
 * transaction ends: a second create waits here for the first to commit, and its count (a new
 * statement, so a new snapshot under READ COMMITTED) then includes the first one's row. So
 * concurrent creates cannot both see room under the cap. An advisory lock rather than a lock on
 * the community row: global webhooks have no row to lock, and a row lock would also hold up
 * unrelated writes to the community. Transaction-scoped, so it works through Supabase's
 * transaction-mode pooler and is released by commit, rollback or a dropped connection.
 */
export async function lockTenantCap(trx: Tx, cap: string, ownerId: string): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`tenant-cap:${cap}:${ownerId}`]);
}

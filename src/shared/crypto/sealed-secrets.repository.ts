import type { Db } from '../db/knex';
import type { SealedColumn } from './secret-contexts';

export interface SealedRow {
  id: string;
  sealed: string;
}

export interface Reseal {
  id: string;
  from: string;
  to: string;
}

/** Raw reads and compare-and-set writes of sealed-secret columns, for the key rotation only. */
export function createSealedSecretsRepository(db: Db) {
  return {
    /** Up to `limit` non-null values after `afterId`, in id order (keyset paging over the primary key). */
    async page(col: SealedColumn, afterId: string | undefined, limit: number): Promise<SealedRow[]> {
      const result = await db.raw<{ rows: SealedRow[] }>(
        'SELECT id::text AS id, ?? AS sealed FROM ?? WHERE ?? IS NOT NULL AND (?::uuid IS NULL OR id > ?::uuid) ORDER BY id LIMIT ?',
        [col.column, col.table, col.column, afterId ?? null, afterId ?? null, limit],
      );
      return result.rows;
    },

    /**
     * Writes each new value only where the row still holds the value it was computed from, in one
     * statement: a secret changed meanwhile by the API (already sealed under the current key) wins.
     * Returns the ids written.
     */
    async replace(col: SealedColumn, reseals: readonly Reseal[]): Promise<Set<string>> {
      if (reseals.length === 0) return new Set();
      const result = await db.raw<{ rows: Array<{ id: string }> }>(
        `UPDATE ?? AS t SET ?? = v.sealed_to
           FROM unnest(?::uuid[], ?::text[], ?::text[]) AS v(id, sealed_from, sealed_to)
          WHERE t.id = v.id AND t.?? = v.sealed_from
          RETURNING t.id::text AS id`,
        [col.table, col.column, reseals.map((r) => r.id), reseals.map((r) => r.from), reseals.map((r) => r.to), col.column],
      );
      return new Set(result.rows.map((r) => r.id));
    },
  };
}

export type SealedSecretsRepository = ReturnType<typeof createSealedSecretsRepository>;

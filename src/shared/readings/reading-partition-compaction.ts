import type { Db } from '../db/knex';
import { partitionDay } from './reading-partitions';

/**
 * Polls of many channels insert all over the primary key (channel epoch, entry id, time), so its
 * leaf pages split half full and a day's index ends up about a fifth larger than a freshly built
 * one (about 37 instead of 31 bytes a reading). Once a day is over and late entries have had a
 * day to arrive, its index is rebuilt packed, without blocking writers (REINDEX CONCURRENTLY).
 */

const DAY_MS = 86_400_000;
/** Days after a partition's day ended before it is compacted. */
const SETTLE_DAYS = 1;
/** Smaller indexes are not worth a rebuild. */
const MIN_INDEX_BYTES = 1024 * 1024;
/** Set as the partition's comment once its index was rebuilt, so each day is rebuilt once. */
export const COMPACTED_MARK = 'evara: primary key compacted';

interface PartitionIndex {
  partition: string;
  index: string;
  bytes: string;
  valid: boolean;
  note: string | null;
}

async function partitionIndexes(db: Db): Promise<PartitionIndex[]> {
  const { rows } = await db.raw<{ rows: PartitionIndex[] }>(`
    SELECT c.relname AS partition, ic.relname AS index, pg_relation_size(ic.oid) AS bytes, x.indisvalid AS valid,
           obj_description(c.oid, 'pg_class') AS note
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_index x ON x.indrelid = c.oid
    JOIN pg_class ic ON ic.oid = x.indexrelid
    WHERE i.inhparent = 'readings'::regclass
    ORDER BY c.relname`);
  return rows;
}

/**
 * Rebuilds the primary key of each day partition that ended more than SETTLE_DAYS ago and was not
 * rebuilt yet. The caller must make sure only one run at a time: an interrupted rebuild leaves an
 * invalid "<index>_ccnew" copy, which the next run drops first.
 */
export async function compactReadingPartitions(db: Db, now: Date): Promise<string[]> {
  const indexes = await partitionIndexes(db);
  for (const leftover of indexes.filter((i) => !i.valid && /_ccnew\d*$/.test(i.index))) {
    await db.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${leftover.index}`);
  }
  const compacted: string[] = [];
  for (const i of indexes) {
    const day = partitionDay(i.partition);
    if (!i.valid || day === undefined || i.note === COMPACTED_MARK) continue;
    if (day.getTime() + (1 + SETTLE_DAYS) * DAY_MS > now.getTime() || Number(i.bytes) < MIN_INDEX_BYTES) continue;
    await db.raw(`REINDEX INDEX CONCURRENTLY ${i.index}`);
    await db.raw(`COMMENT ON TABLE ${i.partition} IS '${COMPACTED_MARK}'`);
    compacted.push(i.partition);
  }
  return compacted;
}

import type { Db } from '../../src/shared/db/knex';

/**
 * What the bench reads back from readings (row count, newest time per channel, size on disk).
 * Kept apart, with synthetic-readings.ts, so a change of the readings schema is met in two small files.
 */
export async function countReadings(db: Db): Promise<number> {
  const { rows } = await db.raw('SELECT count(*)::bigint AS n FROM readings');
  return Number((rows as Array<{ n: string }>)[0]!.n);
}

/** Newest recorded_at (ms) per node channel that has readings. */
export async function newestReadingPerChannel(db: Db): Promise<Map<string, number>> {
  const { rows } = await db.raw(
    'SELECT e.node_channel_id, max(r.recorded_at) AS newest FROM readings r JOIN channel_epochs e ON e.id = r.channel_epoch_id GROUP BY e.node_channel_id',
  );
  return new Map((rows as Array<{ node_channel_id: string; newest: Date }>).map((r) => [r.node_channel_id, r.newest.getTime()]));
}

export interface ReadingsStorage {
  rows: number;
  tableBytes: number;
  indexBytes: number;
  totalBytes: number;
  bytesPerReading: number;
  tableBytesPerReading: number;
  indexBytesPerReading: number;
}

/**
 * Bytes on disk of readings with its indexes and TOAST, summed over pg_partition_tree so a
 * partitioned readings (one relation per partition) is measured the same way as a plain table.
 * Postgres 15 lists nothing for a plain table, hence the UNION with readings itself (a
 * partitioned parent has no storage of its own, so counting it adds 0).
 */
export async function readingsStorage(db: Db): Promise<ReadingsStorage> {
  const { rows } = await db.raw(
    `SELECT coalesce(sum(pg_table_size(relid)), 0)::bigint AS table_bytes,
            coalesce(sum(pg_indexes_size(relid)), 0)::bigint AS index_bytes,
            coalesce(sum(pg_total_relation_size(relid)), 0)::bigint AS total_bytes
     FROM (SELECT relid FROM pg_partition_tree('readings') UNION SELECT 'readings'::regclass) AS tree`,
  );
  const r = (rows as Array<{ table_bytes: string; index_bytes: string; total_bytes: string }>)[0]!;
  const count = await countReadings(db);
  const per = (bytes: number) => (count > 0 ? bytes / count : 0);
  const tableBytes = Number(r.table_bytes);
  const indexBytes = Number(r.index_bytes);
  const totalBytes = Number(r.total_bytes);
  return { rows: count, tableBytes, indexBytes, totalBytes, bytesPerReading: per(totalBytes), tableBytesPerReading: per(tableBytes), indexBytesPerReading: per(indexBytes) };
}

/** VACUUM cannot run in a transaction block; knex sends a raw statement outside one. */
export async function vacuumReadings(db: Db): Promise<void> {
  await db.raw('VACUUM ANALYZE readings');
}

/** Rebuilds every partition's index, as the ensure-partitions job does to a day once it has ended. */
export async function rebuildReadingIndexes(db: Db): Promise<void> {
  await db.raw('REINDEX TABLE readings');
}

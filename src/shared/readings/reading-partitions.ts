import type { Db } from '../db/knex';
import type { Tx } from '../db/transaction';

/**
 * `readings` is partitioned by recorded time, one partition per UTC day (readings_pYYYYMMDD), so
 * retention drops a whole day instead of deleting it row by row. readings_default takes rows no day
 * partition covers: back-dated entries older than the managed window, or far-future ones.
 */

const DAY_MS = 86_400_000;
export const DEFAULT_PARTITION = 'readings_default';
const DAY_PARTITION = /^readings_p(\d{4})(\d{2})(\d{2})$/;

// Every transaction that adds or drops a partition holds this (pg_advisory_xact_lock), so workers
// running the hourly job and retention at once never race on the same DDL.
const PARTITION_DDL_LOCK = 731_250_001;
// Partition DDL needs strong locks; rather than queue every reader behind a long query, give up
// after this long and let the next run (hourly, or the job's retry) do it.
const LOCK_TIMEOUT = '5s';

export interface PartitionWindow {
  /** Whole days before today that get a partition (today is day 0). */
  daysBack: number;
  /** Whole days after today that get a partition ahead of their data. */
  daysAhead: number;
}

export const startOfUtcDay = (t: Date) => new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);

export function partitionName(day: Date): string {
  return `readings_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** The first instant of a day partition's range; undefined for the default or a foreign name. */
export function partitionDay(name: string): Date | undefined {
  const m = DAY_PARTITION.exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
}

/** Names of the partitions attached to `readings`. */
export async function readingPartitions(db: Db | Tx): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ name: string }> }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY c.relname`,
  );
  return rows.map((r) => r.name);
}

async function lockPartitionDdl(trx: Tx): Promise<void> {
  await trx.raw(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  await trx.raw('SELECT pg_advisory_xact_lock(?)', [PARTITION_DDL_LOCK]);
}

export interface EnsureReport {
  created: string[];
  /** Rows moved out of the default partition into partitions created for their day. */
  movedRows: number;
}

/** Creates the missing day partitions from `daysBack` days before `now` to `daysAhead` after it. Idempotent. */
export async function ensureReadingPartitions(db: Db, now: Date, window: PartitionWindow): Promise<EnsureReport> {
  const existing = new Set(await readingPartitions(db));
  const today = startOfUtcDay(now);
  const report: EnsureReport = { created: [], movedRows: 0 };
  for (let d = -window.daysBack; d <= window.daysAhead; d++) {
    const day = new Date(today.getTime() + d * DAY_MS);
    if (existing.has(partitionName(day))) continue;
    const moved = await createDayPartition(db, day);
    if (moved === undefined) continue;
    report.created.push(partitionName(day));
    report.movedRows += moved;
  }
  return report;
}

/**
 * One day's partition, in one transaction. Created apart and then attached: ATTACH takes a weak
 * lock on `readings` (writers to other days go on) where CREATE ... PARTITION OF would lock it
 * whole. Rows of that day already in the default partition would make the attach fail, so they
 * are copied out, deleted, and inserted again once the partition exists. Returns the rows moved,
 * or undefined when another worker created the partition first.
 */
async function createDayPartition(db: Db, day: Date): Promise<number | undefined> {
  const name = partitionName(day);
  const from = day.toISOString();
  const to = new Date(day.getTime() + DAY_MS).toISOString();
  return db.transaction(async (trx) => {
    await lockPartitionDdl(trx);
    const { rows } = await trx.raw<{ rows: Array<{ found: string | null }> }>('SELECT to_regclass(?)::text AS found', [name]);
    if (rows[0]?.found) return undefined;
    // Writers of that day wait here until the commit, then land in the new partition.
    await trx.raw(`LOCK TABLE ${DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE`);
    await trx.raw('CREATE TEMP TABLE readings_moving (LIKE readings) ON COMMIT DROP');
    const moved: { rowCount: number | null } = await trx.raw(
      `WITH gone AS (DELETE FROM ${DEFAULT_PARTITION} WHERE recorded_at >= ? AND recorded_at < ? RETURNING *) INSERT INTO readings_moving SELECT * FROM gone`,
      [from, to],
    );
    await trx.raw(`CREATE TABLE ${name} (LIKE readings)`);
    await trx.raw(`ALTER TABLE readings ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
    if ((moved.rowCount ?? 0) > 0) await trx.raw('INSERT INTO readings SELECT * FROM readings_moving');
    return moved.rowCount ?? 0;
  });
}

export interface DropReport {
  dropped: string[];
  /**
   * Partitions that may still hold rows older than the cutoff: the default, the day the cutoff
   * falls in, and any partition whose name does not tell its range. Their rows go one by one.
   */
  remainder: string[];
}

/** Drops the day partitions that end at or before `cutoff`: a whole day gone in one short statement. */
export async function dropExpiredReadingPartitions(db: Db, cutoff: Date): Promise<DropReport> {
  const report: DropReport = { dropped: [], remainder: [] };
  for (const name of await readingPartitions(db)) {
    const day = partitionDay(name);
    if (day === undefined) {
      report.remainder.push(name);
    } else if (day.getTime() + DAY_MS <= cutoff.getTime()) {
      await db.transaction(async (trx) => {
        await lockPartitionDdl(trx);
        await trx.raw(`DROP TABLE IF EXISTS ${name}`);
      });
      report.dropped.push(name);
    } else if (day.getTime() < cutoff.getTime()) {
      report.remainder.push(name);
    }
  }
  return report;
}

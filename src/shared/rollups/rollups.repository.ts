import { numberArrayLiteral, textArrayLiteral } from '../db/array-bindings';
import type { Conn } from '../db/transaction';
import type { AnalyticsType, NodeConfig } from '../nodes/node';
import { decodeStored, FIELD_COLUMNS, type StoredFields } from '../readings/reading-codec';
import type { StoredReading } from '../alerts/sample-metrics';
import type { RollupBucket } from './rollup-metrics';
import { aggregateSamples, type BucketAggregate, type RollupSample } from './rollup-aggregate';

/** A channel as rollups need it: its node's type and config, and its field mapping. */
export interface RollupChannel {
  nodeChannelId: string;
  nodeId: string;
  analyticsType: AnalyticsType;
  config: NodeConfig;
  mapping: Record<string, string>;
}

/** A channel epoch with stored entries not yet folded: those with entry id in (after, upTo]. */
export interface PendingEpoch extends RollupChannel {
  channelEpochId: number;
  after: number;
  upTo: number;
  /** The channel was cleared since: nothing more will be stored in this epoch. */
  closed: boolean;
}

/** A stored reading with its key. */
export interface KeyedReading extends StoredReading {
  channelEpochId: number;
}

/** A bucket as stored, per channel, numbers as Postgres gives them. */
export interface RollupRow {
  node_channel_id: string;
  metric: string;
  bucket: RollupBucket;
  bucket_start: Date;
  count: number;
  /** numeric, as text: exact. */
  sum: string;
  min: number;
  max: number;
  first: number;
  first_at: Date;
  first_epoch_id: number;
  first_entry_id: number;
  last: number;
  last_at: Date;
  last_epoch_id: number;
  last_entry_id: number;
}

/** A node's bucket over all its channels, as the series route answers it. */
export interface SeriesPoint {
  bucketStart: Date;
  count: number;
  min: number;
  max: number;
  avg: number;
  first: number;
  last: number;
}

const BUCKET_KEY = ['node_channel_id', 'metric', 'bucket', 'bucket_start'] as const;

// first/last are the values of the earliest / latest reading by (recorded_at, channel epoch, entry id):
// a total order on readings, so the result is the same whatever order they were folded in.
const keepEarlier = (col: string) =>
  `${col} = CASE WHEN (excluded.first_at, excluded.first_epoch_id, excluded.first_entry_id) < (r.first_at, r.first_epoch_id, r.first_entry_id) THEN excluded.${col} ELSE r.${col} END`;
const keepLater = (col: string) =>
  `${col} = CASE WHEN (excluded.last_at, excluded.last_epoch_id, excluded.last_entry_id) > (r.last_at, r.last_epoch_id, r.last_entry_id) THEN excluded.${col} ELSE r.${col} END`;

// One row per bucket, summarised by aggregateSamples; times travel as epoch ms, sums as exact decimal text.
// Output columns are named like reading_rollups'. Key order, for a deterministic answer and lock order.
const BUCKETS_SELECT = `
  SELECT node_channel_id, metric, bucket, to_timestamp(start_ms / 1000.0) AS bucket_start, count, sum, min, max,
      first, to_timestamp(first_ms / 1000.0) AS first_at, first_epoch_id, first_entry_id,
      last, to_timestamp(last_ms / 1000.0) AS last_at, last_epoch_id, last_entry_id
    FROM unnest(?::uuid[], ?::text[], ?::text[], ?::float8[], ?::int4[], ?::numeric[], ?::float8[], ?::float8[],
                ?::float8[], ?::float8[], ?::int4[], ?::int4[], ?::float8[], ?::float8[], ?::int4[], ?::int4[])
      AS b(node_channel_id, metric, bucket, start_ms, count, sum, min, max,
           first, first_ms, first_epoch_id, first_entry_id, last, last_ms, last_epoch_id, last_entry_id)
   ORDER BY node_channel_id, metric, bucket, start_ms`;

// Merged into what the buckets hold: counts and sums add up, min / max and first / last compare.
const FOLD_SQL = `
  INSERT INTO reading_rollups AS r (${BUCKET_KEY.join(', ')}, count, sum, min, max,
      first, first_at, first_epoch_id, first_entry_id, last, last_at, last_epoch_id, last_entry_id)
  ${BUCKETS_SELECT}
  ON CONFLICT (${BUCKET_KEY.join(', ')}) DO UPDATE SET
    count = r.count + excluded.count,
    sum = r.sum + excluded.sum,
    min = least(r.min, excluded.min),
    max = greatest(r.max, excluded.max),
    ${['first', 'first_at', 'first_epoch_id', 'first_entry_id'].map(keepEarlier).join(',\n    ')},
    ${['last', 'last_at', 'last_epoch_id', 'last_entry_id'].map(keepLater).join(',\n    ')}`;

/** Bucket summaries as bind parameters of BUCKETS_SELECT: one array per column. */
function bucketBindings(buckets: ReadonlyArray<BucketAggregate>): string[] {
  const col = <T extends string | number>(f: (b: BucketAggregate) => T) => buckets.map(f);
  return [
    textArrayLiteral(col((b) => b.nodeChannelId)),
    textArrayLiteral(col((b) => b.metric)),
    textArrayLiteral(col((b) => b.bucket)),
    numberArrayLiteral(col((b) => b.start)),
    numberArrayLiteral(col((b) => b.count)),
    textArrayLiteral(col((b) => b.sum)),
    numberArrayLiteral(col((b) => b.min)),
    numberArrayLiteral(col((b) => b.max)),
    numberArrayLiteral(col((b) => b.first.value)),
    numberArrayLiteral(col((b) => b.first.at)),
    numberArrayLiteral(col((b) => b.first.channelEpochId)),
    numberArrayLiteral(col((b) => b.first.entryId)),
    numberArrayLiteral(col((b) => b.last.value)),
    numberArrayLiteral(col((b) => b.last.at)),
    numberArrayLiteral(col((b) => b.last.channelEpochId)),
    numberArrayLiteral(col((b) => b.last.entryId)),
  ];
}

// Bucket rows per statement: bounds a statement's duration well under the statement timeout.
const FOLD_CHUNK = 20_000;

/** Folds samples into their hour and day buckets (added to what the buckets hold); returns the buckets written. */
export async function foldSamples(conn: Conn, samples: ReadonlyArray<RollupSample>): Promise<number> {
  const buckets = aggregateSamples(samples);
  let written = 0;
  for (let i = 0; i < buckets.length; i += FOLD_CHUNK) {
    const { rowCount }: { rowCount: number | null } = await conn.raw(FOLD_SQL, bucketBindings(buckets.slice(i, i + FOLD_CHUNK)));
    written += rowCount ?? 0;
  }
  return written;
}

/**
 * The buckets these samples make on their own, without storing them: what a recomputation from
 * raw rows gives, typed and rounded by Postgres like stored buckets, in key order.
 */
export async function bucketsOfSamples(conn: Conn, samples: ReadonlyArray<RollupSample>): Promise<RollupRow[]> {
  if (samples.length === 0) return [];
  const { rows } = await conn.raw<{ rows: RollupRow[] }>(BUCKETS_SELECT, bucketBindings(aggregateSamples(samples)));
  return rows;
}

interface PendingRow {
  channel_epoch_id: number;
  node_channel_id: string;
  node_id: string;
  field_mapping: Record<string, string> | null;
  analytics_type: AnalyticsType;
  config: NodeConfig | null;
  after: number;
  up_to: number | null;
  closed: boolean;
}

/**
 * Channel epochs with readings to fold, oldest epoch id first:
 * - a channel's current epoch, up to its cursor. Every entry id at or below the cursor was read
 *   (polls store only ids above it), so nothing will be stored below it later. Skipped while a
 *   history import runs: its pages come newest first, below a cursor already at the top.
 * - a past epoch (the channel was cleared since), whole: nothing more is stored in it.
 */
export async function pendingEpochs(conn: Conn, limit: number): Promise<PendingEpoch[]> {
  const { rows } = await conn.raw<{ rows: PendingRow[] }>(
    `SELECT e.id AS channel_epoch_id, c.id AS node_channel_id, c.node_id, c.field_mapping, n.analytics_type, n.config,
            coalesce(p.last_entry_id, 0) AS after,
            CASE WHEN e.epoch = s.epoch THEN s.last_entry_id
                 ELSE (SELECT max(r.entry_id) FROM readings r WHERE r.channel_epoch_id = e.id) END AS up_to,
            e.epoch < s.epoch AS closed
       FROM channel_epochs e
       JOIN channel_sync_state s ON s.node_channel_id = e.node_channel_id
       JOIN node_channels c ON c.id = e.node_channel_id
       JOIN nodes n ON n.id = c.node_id
       LEFT JOIN rollup_progress p ON p.channel_epoch_id = e.id
      WHERE (e.epoch = s.epoch AND s.backfill_until IS NULL AND s.last_entry_id > coalesce(p.last_entry_id, 0))
         OR (e.epoch < s.epoch AND p.closed IS NOT TRUE)
      ORDER BY e.id
      LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({
    channelEpochId: r.channel_epoch_id,
    nodeChannelId: r.node_channel_id,
    nodeId: r.node_id,
    analyticsType: r.analytics_type,
    config: r.config ?? {},
    mapping: r.field_mapping ?? {},
    after: r.after,
    upTo: Math.max(r.after, r.up_to ?? r.after),
    closed: r.closed,
  }));
}

type ReadingColumns = StoredFields & { channel_epoch_id: number; entry_id: number; recorded_at: Date };

const toKeyed = (r: ReadingColumns): KeyedReading => ({ channelEpochId: r.channel_epoch_id, entryId: r.entry_id, recordedAt: r.recorded_at, parsed: decodeStored(r).parsed });

/**
 * Readings of each epoch with entry id in (after, upTo]. One statement for all epochs; it has no
 * time bound (entries can carry any date), so each epoch probes every day partition's index once.
 */
export async function readingsInEntryRanges(conn: Conn, ranges: ReadonlyArray<{ channelEpochId: number; after: number; upTo: number }>): Promise<KeyedReading[]> {
  if (ranges.length === 0) return [];
  const { rows } = await conn.raw<{ rows: ReadingColumns[] }>(
    `SELECT r.channel_epoch_id, r.entry_id, r.recorded_at, ${FIELD_COLUMNS.map((c) => `r.${c}`).join(', ')}, r.raw
       FROM unnest(?::int4[], ?::int4[], ?::int4[]) AS p(e, after, up_to)
       JOIN readings r ON r.channel_epoch_id = p.e AND r.entry_id > p.after AND r.entry_id <= p.up_to`,
    [numberArrayLiteral(ranges.map((r) => r.channelEpochId)), numberArrayLiteral(ranges.map((r) => r.after)), numberArrayLiteral(ranges.map((r) => r.upTo))],
  );
  return rows.map(toKeyed);
}

/** Records how far each epoch is folded. */
export async function saveProgress(conn: Conn, progress: ReadonlyArray<{ channelEpochId: number; lastEntryId: number; closed: boolean }>): Promise<void> {
  if (progress.length === 0) return;
  await conn.raw(
    `INSERT INTO rollup_progress (channel_epoch_id, last_entry_id, closed)
     SELECT * FROM unnest(?::int4[], ?::int4[], ?::bool[])
     ON CONFLICT (channel_epoch_id) DO UPDATE SET last_entry_id = excluded.last_entry_id, closed = excluded.closed`,
    [numberArrayLiteral(progress.map((p) => p.channelEpochId)), numberArrayLiteral(progress.map((p) => p.lastEntryId)), `{${progress.map((p) => String(p.closed)).join(',')}}`],
  );
}

/** The channels of a node (active or not) with what rollups need. */
export async function rollupChannelsOfNode(conn: Conn, nodeId: string): Promise<RollupChannel[]> {
  const rows: Array<{ id: string; node_id: string; field_mapping: Record<string, string> | null; analytics_type: AnalyticsType; config: NodeConfig | null }> = await conn('node_channels')
    .join('nodes', 'nodes.id', 'node_channels.node_id')
    .where('node_channels.node_id', nodeId)
    .orderBy('node_channels.created_at')
    .select('node_channels.id', 'node_channels.node_id', 'node_channels.field_mapping', 'nodes.analytics_type', 'nodes.config');
  return rows.map((r) => ({ nodeChannelId: r.id, nodeId: r.node_id, analyticsType: r.analytics_type, config: r.config ?? {}, mapping: r.field_mapping ?? {} }));
}

/**
 * Readings of these channels recorded in [from, to), oldest first by (recorded_at, channel epoch,
 * entry id), after `after` in that order, at most `limit`. `foldedOnly`: only those rollups already
 * hold (entry id up to the epoch's rollup progress).
 */
export async function readingsOfChannels(
  conn: Conn,
  q: { nodeChannelIds: string[]; from: Date; to: Date; after?: { recordedAt: Date; channelEpochId: number; entryId: number }; limit: number; foldedOnly?: boolean },
): Promise<Array<KeyedReading & { nodeChannelId: string }>> {
  if (q.nodeChannelIds.length === 0) return [];
  const query = conn('readings')
    .join('channel_epochs', 'channel_epochs.id', 'readings.channel_epoch_id')
    .whereIn('channel_epochs.node_channel_id', q.nodeChannelIds)
    .where('readings.recorded_at', '>=', q.from)
    .where('readings.recorded_at', '<', q.to)
    .orderBy([{ column: 'readings.recorded_at' }, { column: 'readings.channel_epoch_id' }, { column: 'readings.entry_id' }])
    .limit(q.limit)
    .select('channel_epochs.node_channel_id', 'readings.channel_epoch_id', 'readings.entry_id', 'readings.recorded_at', ...FIELD_COLUMNS.map((c) => `readings.${c}`), 'readings.raw');
  if (q.after) {
    const a = q.after;
    query.whereRaw('(readings.recorded_at, readings.channel_epoch_id, readings.entry_id) > (?, ?, ?)', [a.recordedAt, a.channelEpochId, a.entryId]);
  }
  if (q.foldedOnly) {
    query.join('rollup_progress', 'rollup_progress.channel_epoch_id', 'readings.channel_epoch_id').whereRaw('readings.entry_id <= rollup_progress.last_entry_id');
  }
  const rows: Array<ReadingColumns & { node_channel_id: string }> = await query;
  return rows.map((r) => ({ ...toKeyed(r), nodeChannelId: r.node_channel_id }));
}

/** Deletes the channels' buckets that start in [from, to) (all of them when no bounds). */
export async function deleteRollups(conn: Conn, nodeChannelIds: string[], range: { from?: Date; to?: Date } = {}): Promise<number> {
  if (nodeChannelIds.length === 0) return 0;
  const q = conn('reading_rollups').whereIn('node_channel_id', nodeChannelIds);
  if (range.from) q.where('bucket_start', '>=', range.from);
  if (range.to) q.where('bucket_start', '<', range.to);
  return q.delete();
}

/** Stored buckets of a node, per channel, in key order (tests compare them with a recomputation). */
export async function rollupRowsOfNode(conn: Conn, nodeId: string): Promise<RollupRow[]> {
  return conn('reading_rollups')
    .whereIn('node_channel_id', conn('node_channels').where({ node_id: nodeId }).select('id'))
    .orderBy([...BUCKET_KEY])
    .select<RollupRow[]>('reading_rollups.*');
}

/**
 * A node's buckets of one metric and width starting in [from, to], oldest first, its channels'
 * rows merged: counts and sums add up, first / last by the readings' total order.
 */
export async function seriesOfNode(conn: Conn, q: { nodeId: string; metric: string; bucket: RollupBucket; from: Date; to: Date }): Promise<SeriesPoint[]> {
  const { rows } = await conn.raw<{ rows: Array<{ bucket_start: Date; count: number; min: number; max: number; avg: number; first: number; last: number }> }>(
    `SELECT bucket_start, sum(count)::int AS count, min(min) AS min, max(max) AS max, (sum(sum) / sum(count))::float8 AS avg,
            (array_agg(first ORDER BY first_at, first_epoch_id, first_entry_id))[1] AS first,
            (array_agg(last ORDER BY last_at DESC, last_epoch_id DESC, last_entry_id DESC))[1] AS last
       FROM reading_rollups
      WHERE node_channel_id IN (SELECT id FROM node_channels WHERE node_id = ?) AND metric = ? AND bucket = ? AND bucket_start >= ? AND bucket_start <= ?
      GROUP BY bucket_start
      ORDER BY bucket_start`,
    [q.nodeId, q.metric, q.bucket, q.from, q.to],
  );
  return rows.map((r) => ({ bucketStart: r.bucket_start, count: r.count, min: r.min, max: r.max, avg: r.avg, first: r.first, last: r.last }));
}

// Held by every transaction that writes rollups from readings (the fold, a purge's recomputation):
// a recomputation reads what is folded, so a fold committing meanwhile would be counted twice or lost.
const ROLLUP_LOCK = 'reading-rollups';

/** Takes the rollup writers' lock for this transaction; false when another holds it. */
export async function tryLockRollups(conn: Conn): Promise<boolean> {
  const { rows } = await conn.raw<{ rows: Array<{ locked: boolean }> }>('SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0)) AS locked', [ROLLUP_LOCK]);
  return rows[0]!.locked;
}

/** Waits for the rollup writers' lock, held until this transaction ends. */
export async function lockRollups(conn: Conn): Promise<void> {
  await conn.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [ROLLUP_LOCK]);
}

/** Recorded time of the oldest stored reading of these channels; undefined when they have none. */
export async function oldestReadingAt(conn: Conn, nodeChannelIds: string[]): Promise<Date | undefined> {
  if (nodeChannelIds.length === 0) return undefined;
  const row: { oldest: Date | null } | undefined = await conn('readings')
    .join('channel_epochs', 'channel_epochs.id', 'readings.channel_epoch_id')
    .whereIn('channel_epochs.node_channel_id', nodeChannelIds)
    .first(conn.raw('min(readings.recorded_at) AS oldest'));
  return row?.oldest ?? undefined;
}

/** Asks the update-rollups job to rebuild a node's buckets (a newer ask replaces an older one). */
export async function requestRollupRebuild(conn: Conn, nodeId: string, at: Date): Promise<void> {
  await conn('rollup_rebuilds').insert({ node_id: nodeId, requested_at: at }).onConflict('node_id').merge(['requested_at']);
}

/** Rebuilds asked for, oldest ask first. */
export async function pendingRollupRebuilds(conn: Conn, limit: number): Promise<Array<{ nodeId: string; requestedAt: Date }>> {
  const rows: Array<{ node_id: string; requested_at: Date }> = await conn('rollup_rebuilds').orderBy('requested_at').limit(limit).select('node_id', 'requested_at');
  return rows.map((r) => ({ nodeId: r.node_id, requestedAt: r.requested_at }));
}

/** Forgets an ask once done, unless a newer one came meanwhile. */
export async function completeRollupRebuild(conn: Conn, nodeId: string, requestedAt: Date): Promise<void> {
  await conn('rollup_rebuilds').where({ node_id: nodeId }).where('requested_at', '<=', requestedAt).delete();
}

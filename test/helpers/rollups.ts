import type { Core } from '../../src/shared/core';
import { inTransaction } from '../../src/shared/db/transaction';
import { rollupsFromRaw } from '../../src/shared/rollups/recompute-rollups';
import { rollupRowsOfNode, type RollupRow } from '../../src/shared/rollups/rollups.repository';

const FAR_PAST = new Date('2000-01-01T00:00:00Z');

/** A bucket as comparable plain data: times as ISO text, the exact numeric sum as its text. */
export type PlainBucket = Record<keyof RollupRow, string | number>;

function plain(rows: RollupRow[]): PlainBucket[] {
  const out = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : (v as string | number)])) as PlainBucket);
  const key = (b: PlainBucket) => [b.node_channel_id, b.metric, b.bucket, b.bucket_start].join('|');
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The node's stored buckets (every channel, metric and width). */
export async function storedBuckets(core: Core, nodeId: string): Promise<PlainBucket[]> {
  return plain(await rollupRowsOfNode(core.db, nodeId));
}

/** The node's buckets recomputed from its raw readings, all of them. */
export async function recomputedBuckets(core: Core, nodeId: string): Promise<PlainBucket[]> {
  const to = new Date(Date.now() + 400 * 86_400_000);
  return plain(await inTransaction(core.db, (tx) => rollupsFromRaw(tx, nodeId, FAR_PAST, to)));
}

/** One stored bucket, found by metric, width and start (first channel's). */
export function bucketOf(buckets: PlainBucket[], metric: string, bucket: '1h' | '1d', start: Date): PlainBucket | undefined {
  return buckets.find((b) => b.metric === metric && b.bucket === bucket && b.bucket_start === start.toISOString());
}

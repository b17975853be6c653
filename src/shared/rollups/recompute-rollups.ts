import type { Conn, Tx } from '../db/transaction';
import { BUCKET_MS, metricsOfNode, rollupValues } from './rollup-metrics';
import { bucketsOfSamples, deleteRollups, foldSamples, lockRollups, oldestReadingAt, readingsOfChannels, rollupChannelsOfNode, type RollupChannel, type RollupRow } from './rollups.repository';
import type { RollupSample } from './rollup-aggregate';

const DAY_MS = BUCKET_MS['1d'];
const PAGE = 20_000;

/** [from, to) widened to whole UTC days: the buckets a range touches, hours and days alike. */
export function wholeDays(from: Date, to: Date): { from: Date; to: Date } {
  return { from: new Date(Math.floor(from.getTime() / DAY_MS) * DAY_MS), to: new Date(Math.ceil(to.getTime() / DAY_MS) * DAY_MS) };
}

/**
 * Readings of the channels recorded in [from, to), as rollup samples, page by page (keyset on the
 * readings' order). `foldedOnly`: only readings the update-rollups job has folded already.
 */
async function forEachSamplePage(
  conn: Conn,
  channels: RollupChannel[],
  range: { from: Date; to: Date; foldedOnly: boolean },
  onPage: (samples: RollupSample[]) => Promise<void>,
): Promise<void> {
  const byId = new Map(channels.map((c) => [c.nodeChannelId, { channel: c, names: metricsOfNode(c.analyticsType, [c.mapping]) }]));
  let after: { recordedAt: Date; channelEpochId: number; entryId: number } | undefined;
  for (;;) {
    const readings = await readingsOfChannels(conn, { nodeChannelIds: [...byId.keys()], from: range.from, to: range.to, after, limit: PAGE, foldedOnly: range.foldedOnly });
    const samples: RollupSample[] = [];
    for (const r of readings) {
      const { channel, names } = byId.get(r.nodeChannelId)!;
      for (const [metric, value] of rollupValues(r, channel.mapping, channel, names)) {
        samples.push({ nodeChannelId: channel.nodeChannelId, metric, at: r.recordedAt.getTime(), channelEpochId: r.channelEpochId, entryId: r.entryId, value });
      }
    }
    await onPage(samples);
    if (readings.length < PAGE) return;
    const last = readings[readings.length - 1]!;
    after = { recordedAt: last.recordedAt, channelEpochId: last.channelEpochId, entryId: last.entryId };
  }
}

/**
 * What a node's buckets starting in [from, to) (widened to whole days) are when computed from its
 * stored readings alone, in one go: the reference the incrementally kept rollups must equal.
 * Per channel, in key order, like rollupRowsOfNode. Meant for checks and tests, not large ranges.
 */
export async function rollupsFromRaw(conn: Conn, nodeId: string, from: Date, to: Date): Promise<RollupRow[]> {
  const channels = await rollupChannelsOfNode(conn, nodeId);
  const all: RollupSample[] = [];
  await forEachSamplePage(conn, channels, { ...wholeDays(from, to), foldedOnly: false }, async (samples) => {
    for (const s of samples) all.push(s);
  });
  return bucketsOfSamples(conn, all);
}

/**
 * Rebuilds these channels' buckets starting in [from, to) (widened to whole days) from their stored
 * readings: after readings were deleted on purpose (a purge). Only readings the update-rollups job
 * has folded are counted, so the job's next run adds the others once. Buckets with no readings left
 * are removed. Runs in the caller's transaction, under the rollup writers' lock.
 */
export async function recomputeRollups(tx: Tx, channels: RollupChannel[], from: Date, to: Date): Promise<void> {
  if (channels.length === 0) return;
  const range = wholeDays(from, to);
  await lockRollups(tx);
  await deleteRollups(tx, channels.map((c) => c.nodeChannelId), range);
  await forEachSamplePage(tx, channels, { ...range, foldedOnly: true }, async (samples) => {
    await foldSamples(tx, samples);
  });
}

/** recomputeRollups for every channel of a node. */
export async function recomputeNodeRollups(tx: Tx, nodeId: string, from: Date, to: Date): Promise<void> {
  await recomputeRollups(tx, await rollupChannelsOfNode(tx, nodeId), from, to);
}

/**
 * A purge deleted these channels' readings (those recorded before `before`, or all): their buckets
 * go with them. Buckets wholly before the cut are removed; the hour and day it falls in are rebuilt
 * from what is left. Call it in the purge's transaction, after the readings are deleted.
 */
export async function forgetPurgedRollups(tx: Tx, nodeId: string, nodeChannelIds: string[], before?: Date): Promise<void> {
  await lockRollups(tx);
  if (!before) {
    await deleteRollups(tx, nodeChannelIds);
    return;
  }
  const cut = wholeDays(before, before);
  await deleteRollups(tx, nodeChannelIds, { to: cut.from });
  const channels = (await rollupChannelsOfNode(tx, nodeId)).filter((c) => nodeChannelIds.includes(c.nodeChannelId));
  await recomputeRollups(tx, channels, before, before);
}

/** Past any future-dated entry a channel may hold. */
const END_OF_TIME = new Date('9999-12-31T00:00:00Z');

/**
 * A node's analytics type, config or a channel's field mapping changed: what its readings mean
 * (aliases, level %, litres) changed with it. Its buckets are rebuilt from the first whole UTC day
 * of stored readings on; older buckets, whose readings retention removed, keep what they were
 * computed as. Costs a read of all the node's stored readings: the update-rollups job does it
 * (requestRollupRebuild), not the request that changed the node.
 */
export async function rebuildNodeRollups(tx: Tx, nodeId: string): Promise<void> {
  const channels = await rollupChannelsOfNode(tx, nodeId);
  const oldest = await oldestReadingAt(tx, channels.map((c) => c.nodeChannelId));
  if (!oldest) return;
  const firstWholeDay = new Date(Math.ceil(oldest.getTime() / DAY_MS) * DAY_MS);
  await recomputeRollups(tx, channels, firstWholeDay, END_OF_TIME);
}

import type { Conn, Tx } from '../db/transaction';

/**
 * Deleting stored readings on purpose (a node's deletion, a purge). Retention has its own path
 * (retention.repository.ts); nothing else deletes readings.
 */

/** Readings stored under these channel epochs (recorded before `before`, when given). */
export async function countReadings(conn: Conn, channelEpochIds: number[], before?: Date): Promise<number> {
  if (channelEpochIds.length === 0) return 0;
  const q = conn('readings').whereIn('channel_epoch_id', channelEpochIds);
  if (before) q.where('recorded_at', '<', before);
  const [row] = await q.count<Array<{ count: string }>>('* as count');
  return Number(row?.count ?? 0);
}

/**
 * Deletes the readings of each channel epoch (only those recorded before `before`, when given) and
 * returns how many went, by epoch id. One statement per epoch: the primary key leads with the
 * epoch id, and `recorded_at < before` lets Postgres skip the day partitions after it.
 */
export async function deleteReadings(tx: Tx, channelEpochIds: number[], before?: Date): Promise<Map<number, number>> {
  const removed = new Map<number, number>();
  for (const id of channelEpochIds) {
    const q = tx('readings').where('channel_epoch_id', id);
    if (before) q.where('recorded_at', '<', before);
    removed.set(id, await q.delete());
  }
  return removed;
}

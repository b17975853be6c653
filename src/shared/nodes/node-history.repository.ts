import type { Scope } from '../auth/scope';
import type { ChannelEpochRow, ChannelSyncStateRow, NodeRow } from '../db/tables';
import type { Conn, Tx } from '../db/transaction';
import { whereCommunityInScope } from '../db/scope-filter';

/** What deleting a node or purging its readings checks and records about it. */
export interface NodeIdentity {
  id: string;
  nodeKey: string;
  label: string;
  communityId: string;
}

/** A channel's sync row as a deletion of its readings needs it, held until the transaction ends. */
export interface LockedChannelSync {
  nodeChannelId: string;
  /** The current epoch: `stored_count` counts its readings only. */
  epoch: number;
  /** Set while a history import is still storing older entries page by page. */
  importing: boolean;
}

export async function findNodeInScope(conn: Conn, scope: Scope, id: string): Promise<NodeIdentity | undefined> {
  const row: Pick<NodeRow, 'id' | 'node_key' | 'label' | 'community_id'> | undefined = await whereCommunityInScope(conn('nodes').where('nodes.id', id), scope, 'nodes.community_id').first(
    'nodes.id',
    'nodes.node_key',
    'nodes.label',
    'nodes.community_id',
  );
  return row && { id: row.id, nodeKey: row.node_key, label: row.label, communityId: row.community_id };
}

/** Locks the nodes row (serialises with PATCH of the same node, which holds it too); false when it is gone. */
export async function lockNode(tx: Tx, id: string): Promise<boolean> {
  return (await tx('nodes').where({ id }).forUpdate().first('id')) !== undefined;
}

/**
 * Locks the channels' sync rows in key order, as a poll commit does before it stores readings: while
 * they are held no poll adds readings to these channels or moves their cursors.
 */
export async function lockChannelSyncs(tx: Tx, nodeChannelIds: string[]): Promise<LockedChannelSync[]> {
  if (nodeChannelIds.length === 0) return [];
  const rows: Array<Pick<ChannelSyncStateRow, 'node_channel_id' | 'epoch' | 'backfill_until'>> = await tx('channel_sync_state')
    .whereIn('node_channel_id', nodeChannelIds)
    .orderBy('node_channel_id')
    .forUpdate()
    .select('node_channel_id', 'epoch', 'backfill_until');
  return rows.map((r) => ({ nodeChannelId: r.node_channel_id, epoch: r.epoch, importing: r.backfill_until !== null }));
}

/** Every epoch of the channels: their readings point at these ids. */
export async function epochsOfChannels(conn: Conn, nodeChannelIds: string[]): Promise<Array<{ id: number; nodeChannelId: string; epoch: number }>> {
  if (nodeChannelIds.length === 0) return [];
  const rows: ChannelEpochRow[] = await conn('channel_epochs').whereIn('node_channel_id', nodeChannelIds).orderBy('id').select('id', 'node_channel_id', 'epoch');
  return rows.map((r) => ({ id: r.id, nodeChannelId: r.node_channel_id, epoch: r.epoch }));
}

/** `stored_count` after readings of the current epoch were removed; the cursor is left alone. */
export async function lowerStoredCount(tx: Tx, nodeChannelId: string, by: number): Promise<void> {
  if (by === 0) return;
  await tx('channel_sync_state')
    .where({ node_channel_id: nodeChannelId })
    .update({ stored_count: tx.raw('GREATEST(stored_count - ?, 0)', [by]), updated_at: tx.fn.now() });
}

/** Deletes the node row; its channels, sync state, epochs, state, rules and alerts go with it (ON DELETE CASCADE). */
export async function deleteNodeRow(tx: Tx, id: string): Promise<boolean> {
  return (await tx('nodes').where({ id }).delete()) > 0;
}

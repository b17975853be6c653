import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import type { Scope } from '../auth/scope';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import { deleteReadings } from '../readings/reading-removal.repository';
import { forgetPurgedRollups } from '../rollups/recompute-rollups';
import { channelsOfNode } from './node-channels.repository';
import { epochsOfChannels, findNodeInScope, lockChannelSyncs, lowerStoredCount, type NodeIdentity } from './node-history.repository';

export interface PurgeReadingsInput {
  scope: Scope;
  actor: AuditActor;
  id: string;
  /** Must be the node's nodeKey. */
  confirm: string;
  /** Only readings recorded before this instant; all of them when absent. */
  before?: Date;
  /** Only this channel's readings (ThingSpeak channel number); every channel's when absent. */
  channelId?: number;
}

export type PurgeReadingsResult =
  | { outcome: 'not_found' }
  | { outcome: 'unconfirmed'; node: NodeIdentity }
  | { outcome: 'unknown_channel'; node: NodeIdentity; channels: number[] }
  /** A history import is still storing older entries: purging now would be undone by its next page. */
  | { outcome: 'importing'; node: NodeIdentity; channels: number[] }
  | { outcome: 'purged'; node: NodeIdentity; removed: number; channels: Array<{ channelId: number; removed: number }> };

/**
 * Deletes stored readings of a node for good (all, or those recorded before `before`, of one
 * channel or all), audited. Sync state stays consistent with the poller:
 * - each channel's cursor (highest entry id stored, fetched-until time) is left where it is, so
 *   polls go on from there and never fetch the purged entries again;
 * - `stored_count` (the current epoch's readings) goes down by what was removed from that epoch;
 * - the channels' sync rows are held meanwhile, so no poll commits readings half-way through.
 * The node's latest state (metrics, last reading time, status) is not recomputed: it stays what
 * the device last reported. The channels' rollups of the purged time go too (the hour and day of
 * `before` are rebuilt from the readings left).
 */
export async function purgeReadings(deps: { db: Db }, input: PurgeReadingsInput): Promise<PurgeReadingsResult> {
  return inTransaction(deps.db, async (tx): Promise<PurgeReadingsResult> => {
    const node = await findNodeInScope(tx, input.scope, input.id);
    if (!node) return { outcome: 'not_found' };
    if (input.confirm !== node.nodeKey) return { outcome: 'unconfirmed', node };
    const all = await channelsOfNode(tx, node.id);
    const channels = input.channelId === undefined ? all : all.filter((c) => c.channelId === input.channelId);
    if (channels.length === 0 && input.channelId !== undefined) return { outcome: 'unknown_channel', node, channels: all.map((c) => c.channelId) };

    const syncs = await lockChannelSyncs(tx, channels.map((c) => c.id));
    const importing = syncs.filter((s) => s.importing).map((s) => channels.find((c) => c.id === s.nodeChannelId)!.channelId);
    if (importing.length > 0) return { outcome: 'importing', node, channels: importing };

    const epochs = await epochsOfChannels(tx, channels.map((c) => c.id));
    const removedByEpoch = await deleteReadings(tx, epochs.map((e) => e.id), input.before);
    await forgetPurgedRollups(tx, node.id, channels.map((c) => c.id), input.before);
    const result: Array<{ channelId: number; removed: number }> = [];
    for (const c of channels) {
      const mine = epochs.filter((e) => e.nodeChannelId === c.id);
      const current = syncs.find((s) => s.nodeChannelId === c.id)?.epoch;
      await lowerStoredCount(tx, c.id, mine.filter((e) => e.epoch === current).reduce((n, e) => n + (removedByEpoch.get(e.id) ?? 0), 0));
      result.push({ channelId: c.channelId, removed: mine.reduce((n, e) => n + (removedByEpoch.get(e.id) ?? 0), 0) });
    }
    const removed = result.reduce((n, c) => n + c.removed, 0);
    await recordAudit(tx, {
      actor: input.actor,
      action: 'node.readings.purge',
      resourceType: 'node',
      resourceId: node.id,
      communityId: node.communityId,
      details: { nodeKey: node.nodeKey, before: input.before?.toISOString() ?? null, channelId: input.channelId ?? null, removed, channels: result },
    });
    return { outcome: 'purged', node, removed, channels: result };
  });
}

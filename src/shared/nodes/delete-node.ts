import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import type { Scope } from '../auth/scope';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import { countReadings, deleteReadings } from '../readings/reading-removal.repository';
import { channelsOfNode } from './node-channels.repository';
import { deleteNodeRow, epochsOfChannels, findNodeInScope, lockChannelSyncs, type NodeIdentity } from './node-history.repository';

export type DeleteNodeResult =
  | { outcome: 'not_found' }
  /** `confirm` is not the node's key: nothing was deleted. `readings` is what a confirmed call would delete. */
  | { outcome: 'unconfirmed'; node: NodeIdentity; readings: number }
  | { outcome: 'deleted'; node: NodeIdentity; readingsDeleted: number };

/**
 * Deletes a node with its channels and every reading they stored, only when `confirm` is the
 * node's nodeKey (a typo'd id never deletes the wrong node's history). Audited with who, which
 * node and how many readings went; the audit entry outlives the node.
 */
export async function deleteNode(deps: { db: Db }, input: { scope: Scope; actor: AuditActor; id: string; confirm: string }): Promise<DeleteNodeResult> {
  return inTransaction(deps.db, async (tx): Promise<DeleteNodeResult> => {
    const node = await findNodeInScope(tx, input.scope, input.id);
    if (!node) return { outcome: 'not_found' };
    const channels = await channelsOfNode(tx, node.id);
    if (input.confirm !== node.nodeKey) {
      return { outcome: 'unconfirmed', node, readings: await countReadings(tx, (await epochsOfChannels(tx, channels.map((c) => c.id))).map((e) => e.id)) };
    }
    // Held first, as a poll commit holds them: no poll stores readings these counts would miss.
    await lockChannelSyncs(tx, channels.map((c) => c.id));
    const epochs = await epochsOfChannels(tx, channels.map((c) => c.id));
    // Deleted here rather than by the cascade, to count them per channel for the audit entry.
    const removed = await deleteReadings(tx, epochs.map((e) => e.id));
    const byChannel = channels.map((c) => ({
      channelId: c.channelId,
      readingsDeleted: epochs.filter((e) => e.nodeChannelId === c.id).reduce((n, e) => n + (removed.get(e.id) ?? 0), 0),
    }));
    const readingsDeleted = byChannel.reduce((n, c) => n + c.readingsDeleted, 0);
    if (!(await deleteNodeRow(tx, node.id))) return { outcome: 'not_found' };
    await recordAudit(tx, {
      actor: input.actor,
      action: 'node.delete',
      resourceType: 'node',
      resourceId: node.id,
      communityId: node.communityId,
      details: { nodeKey: node.nodeKey, label: node.label, readingsDeleted, channels: byChannel },
    });
    return { outcome: 'deleted', node, readingsDeleted };
  });
}

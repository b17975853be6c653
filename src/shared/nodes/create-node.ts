import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import type { CreateNodeInput, NodeView } from './node';
import type { NodesRepository } from './nodes.repository';

/**
 * Creates a node with its channels and records who did it, in one transaction. The audit entry
 * names the channels and whether each has a read key, never the key.
 */
export async function createNode(
  deps: { db: Db; nodes: Pick<NodesRepository, 'create'> },
  input: { actor: AuditActor; communityId: string; node: CreateNodeInput },
): Promise<NodeView | 'node_key_taken'> {
  return inTransaction(deps.db, async (tx) => {
    const created = await deps.nodes.create(input.node, input.communityId, tx);
    if (created === 'node_key_taken') return created;
    await recordAudit(tx, {
      actor: input.actor,
      action: 'node.create',
      resourceType: 'node',
      resourceId: created.id,
      communityId: created.communityId,
      details: {
        nodeKey: created.nodeKey,
        label: created.label,
        category: created.category,
        analyticsType: created.analyticsType,
        channels: input.node.channels.map((c) => ({ channelId: c.channelId, fieldMapping: c.fieldMapping, active: c.active, hasReadKey: c.readKey !== undefined })),
      },
    });
    return created;
  });
}

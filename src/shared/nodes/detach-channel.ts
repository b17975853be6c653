import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { NotFoundError } from '../errors';
import type { Scope } from '../auth/scope';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import { countReadings } from '../readings/reading-removal.repository';
import type { NodeView } from './node';
import type { NodesRepository } from './nodes.repository';
import { channelsOfNode, setChannelActive } from './node-channels.repository';
import { epochsOfChannels, findNodeInScope, lockNode } from './node-history.repository';

export interface DetachChannelDeps {
  db: Db;
  nodes: Pick<NodesRepository, 'getIn'>;
}

/**
 * Detaches a channel (by its ThingSpeak channel number) from a node without losing anything: the
 * channel becomes inactive, so the poll tick skips it, and its readings, cursor and epochs stay
 * (listed by GET /nodes/{id}/readings; a PATCH listing the channel attaches it again). Audited
 * when it changed something; detaching a detached channel is a no-op. Returns the node.
 */
export async function detachChannel(deps: DetachChannelDeps, input: { scope: Scope; actor: AuditActor; nodeId: string; channelId: number }): Promise<NodeView> {
  return inTransaction(deps.db, async (tx) => {
    const node = await findNodeInScope(tx, input.scope, input.nodeId);
    // The node's row is held like a PATCH holds it, so the two never interleave on its channels.
    if (!node || !(await lockNode(tx, node.id))) throw new NotFoundError(`Node ${input.nodeId} was not found`, 'NODE_NOT_FOUND');
    const channels = await channelsOfNode(tx, node.id);
    const channel = channels.find((c) => c.channelId === input.channelId);
    if (!channel) {
      const known = channels.map((c) => c.channelId).join(', ') || 'none';
      throw new NotFoundError(`Node ${node.id} has no channel ${input.channelId} (its channels: ${known})`, 'CHANNEL_NOT_FOUND');
    }
    if (channel.active) {
      await setChannelActive(tx, channel.id, false);
      const epochs = await epochsOfChannels(tx, [channel.id]);
      await recordAudit(tx, {
        actor: input.actor,
        action: 'node.channel.detach',
        resourceType: 'node',
        resourceId: node.id,
        communityId: node.communityId,
        details: { nodeKey: node.nodeKey, channelId: channel.channelId, nodeChannelId: channel.id, readingsKept: await countReadings(tx, epochs.map((e) => e.id)) },
      });
    }
    return (await deps.nodes.getIn(tx, input.scope, node.id))!;
  });
}

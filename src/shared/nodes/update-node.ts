import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import type { Scope } from '../auth/scope';
import type { LiveEventPublisher } from '../events/live-events';
import type { CommunitiesRepository } from '../communities/communities.repository';
import type { NodeView, UpdateNodeInput } from './node';
import type { NodesRepository } from './nodes.repository';
import { refreshNodeStatus } from './node-status';
import { recordAudit, type AuditActor } from '../audit/audit-log.repository';
import { hasChannelChanges } from './node-channels.repository';
import type { NodeStatusRepository } from './node-status.repository';
import { requestRollupRebuild } from '../rollups/rollups.repository';

export interface UpdateNodeDeps {
  db: Db;
  nodes: NodesRepository;
  nodeStatus: NodeStatusRepository;
  communities: Pick<CommunitiesRepository, 'findInScope'>;
  events: LiveEventPublisher;
}

/** Who changes a node when the caller does not say (scripts and tests acting as the system). */
const SYSTEM_ACTOR: AuditActor = { keyId: null, label: 'system' };

/**
 * Changes a node's settings; `maintenance` puts it in or takes it out of Maintenance through the
 * one status writer, in the same transaction. `channels` upserts (channels left out stay as they
 * are). One `node.update` audit entry records what changed: settings before and after, channels
 * added, attached again, deactivated, remapped or given a read key (never the key), and the
 * maintenance switch. A status change is a STATUS_UPDATE dashboards show live. A change to what
 * readings mean (analytics type, config, field mappings) asks for the node's rollups to be rebuilt
 * from its stored readings. Undefined when the node is not in scope.
 */
export async function updateNode(deps: UpdateNodeDeps, input: { scope: Scope; id: string; change: UpdateNodeInput; actor?: AuditActor }): Promise<NodeView | undefined> {
  const { maintenance, ...settings } = input.change;
  const result = await inTransaction(deps.db, async (tx) => {
    const before = await deps.nodes.getIn(tx, input.scope, input.id);
    const updated = await deps.nodes.update(tx, input.scope, input.id, settings);
    if (!updated || !before) return undefined;
    const after = (await deps.nodes.getIn(tx, input.scope, input.id))!;
    // Rebuilding reads every stored reading of the node: the update-rollups job does it shortly.
    if (meaningOfReadings(before) !== meaningOfReadings(after)) await requestRollupRebuild(tx, input.id, new Date());
    const status = maintenance === undefined ? undefined : await refreshNodeStatus(tx, deps.nodeStatus, input.id, new Date(), { maintenance });
    const details: Record<string, unknown> = {};
    if (Object.keys(updated.changed).length > 0) details.changed = updated.changed;
    if (hasChannelChanges(updated.channels)) details.channels = updated.channels;
    if (status?.changed) details.maintenance = maintenance;
    // A PATCH that changed nothing (the same values sent again) leaves no entry.
    if (Object.keys(details).length > 0) {
      await recordAudit(tx, { actor: input.actor ?? SYSTEM_ACTOR, action: 'node.update', resourceType: 'node', resourceId: input.id, communityId: updated.communityId, details });
    }
    return { node: (await deps.nodes.getIn(tx, input.scope, input.id))!, statusChanged: status?.changed ?? false };
  });
  if (!result) return undefined;
  const { node, statusChanged } = result;
  if (statusChanged) {
    const community = await deps.communities.findInScope({ role: 'superadmin' }, node.communityId);
    await deps.events.publish('STATUS_UPDATE', { kind: 'community', communityId: node.communityId, distributorId: community?.distributorId ?? null }, { node_id: node.id, status: node.status });
  }
  return node;
}

/** What decides a reading's metrics: type, config (tank size, primary metric) and field aliases. */
function meaningOfReadings(node: NodeView): string {
  return JSON.stringify([node.analyticsType, node.config, node.channels.map((c) => [c.id, c.fieldMapping])]);
}

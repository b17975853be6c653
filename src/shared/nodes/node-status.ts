import type { NodeStatus } from './node';
import type { NodeStatusRepository } from './node-status.repository';
import type { Tx } from '../db/transaction';
import { decideNodeStatus } from './node-status-rule';

export interface NodeStatusChange {
  status: NodeStatus;
  previous: NodeStatus;
  changed: boolean;
}

/**
 * The only writer of `nodes.status`: recomputes it from the facts (read under the node's row lock,
 * inside the caller's transaction) and writes it when it differs. Polls, the offline sweep, alert
 * changes and maintenance on/off all call this, so the status can never disagree with the rule.
 * Callers publish STATUS_UPDATE after commit when `changed`.
 */
export async function refreshNodeStatus(tx: Tx, repo: NodeStatusRepository, nodeId: string, now: Date, opts: { maintenance?: boolean } = {}): Promise<NodeStatusChange | undefined> {
  return (await refreshNodeStatuses(tx, repo, [nodeId], now, opts)).get(nodeId);
}

/** The same for many nodes at once (a batch of polls): one locking read, a write per change only. */
export async function refreshNodeStatuses(
  tx: Tx,
  repo: NodeStatusRepository,
  nodeIds: string[],
  now: Date,
  opts: { maintenance?: boolean } = {},
): Promise<Map<string, NodeStatusChange>> {
  const facts = await repo.lockFacts(tx, [...new Set(nodeIds)]);
  const changes = new Map<string, NodeStatusChange>();
  for (const [nodeId, f] of facts) {
    const status = decideNodeStatus(f, now, opts.maintenance);
    if (status !== f.current) await repo.writeStatus(tx, nodeId, status, now);
    changes.set(nodeId, { status, previous: f.current, changed: status !== f.current });
  }
  return changes;
}

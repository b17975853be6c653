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
  const facts = await repo.lockFacts(tx, nodeId);
  if (!facts) return undefined;
  const status = decideNodeStatus(facts, now, opts.maintenance);
  if (status !== facts.current) await repo.writeStatus(tx, nodeId, status, now);
  return { status, previous: facts.current, changed: status !== facts.current };
}

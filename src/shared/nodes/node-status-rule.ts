import type { NodeStatus } from './node';
import { isOnline } from './offline-threshold';

/** Alert severities that put a node in `Alert` status while an alert of theirs is unresolved. */
export const URGENT_SEVERITIES = ['warning', 'critical'] as const;

export interface NodeStatusFacts {
  current: NodeStatus;
  lastReadingAt: Date | null;
  expectedIntervalS: number;
  /** An unresolved warning or critical alert exists for the node. */
  urgentAlertOpen: boolean;
}

/**
 * THE rule for a node's status, in order of precedence:
 * - `Maintenance` while an operator has put the node in maintenance (it stays until they take it out);
 * - `provisioning` until the first reading is stored;
 * - `Offline` once the newest reading is older than the offline threshold (offline-threshold.ts);
 * - `Alert` while an unresolved warning or critical alert exists (the offline alert is one, but
 *   `Offline` says more, so it wins);
 * - `Online` otherwise.
 * `maintenance` is the operator's decision when this change is theirs; otherwise the current one holds.
 */
export function decideNodeStatus(f: NodeStatusFacts, now: Date, maintenance?: boolean): NodeStatus {
  if (maintenance ?? f.current === 'Maintenance') return 'Maintenance';
  if (f.lastReadingAt === null) return 'provisioning';
  if (!isOnline(f.lastReadingAt, f.expectedIntervalS, now)) return 'Offline';
  return f.urgentAlertOpen ? 'Alert' : 'Online';
}

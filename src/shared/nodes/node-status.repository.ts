import type { Db } from '../db/knex';
import type { Conn, Tx } from '../db/transaction';
import type { NodeStatus } from './node';
import { URGENT_SEVERITIES, type NodeStatusFacts } from './node-status-rule';

interface FactsRow {
  id: string;
  status: NodeStatus;
  expected_interval_s: number;
  last_reading_at: Date | null;
  urgent_alert_open: boolean;
}

/** SQL behind node-status.ts; nothing else writes `nodes.status`. */
export function createNodeStatusRepository(_db: Db) {
  return {
    /**
     * The nodes' status facts, holding their `nodes` row locks until the transaction ends. Locked
     * in id order, so two transactions refreshing overlapping sets queue instead of deadlocking.
     */
    async lockFacts(tx: Tx, nodeIds: string[]): Promise<Map<string, NodeStatusFacts>> {
      if (nodeIds.length === 0) return new Map();
      const rows: FactsRow[] = await tx('nodes')
        .leftJoin('node_state', 'node_state.node_id', 'nodes.id')
        .whereIn('nodes.id', nodeIds)
        .orderBy('nodes.id')
        .forUpdate('nodes')
        .select(
          'nodes.id',
          'nodes.status',
          'nodes.expected_interval_s',
          'node_state.last_reading_at',
          tx.raw(
            `exists (select 1 from alerts where alerts.node_id = nodes.id and alerts.status <> 'resolved' and alerts.severity in (${URGENT_SEVERITIES.map(() => '?').join(', ')})) as urgent_alert_open`,
            [...URGENT_SEVERITIES],
          ),
        );
      return new Map(
        rows.map((row) => [row.id, { current: row.status, expectedIntervalS: row.expected_interval_s, lastReadingAt: row.last_reading_at, urgentAlertOpen: row.urgent_alert_open }]),
      );
    },

    async writeStatus(conn: Conn, nodeId: string, status: NodeStatus, now: Date): Promise<void> {
      await conn('nodes').where({ id: nodeId }).update({ status, updated_at: now });
    },
  };
}

export type NodeStatusRepository = ReturnType<typeof createNodeStatusRepository>;

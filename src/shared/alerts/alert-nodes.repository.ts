import type { Knex } from 'knex';
import type { Conn } from '../db/transaction';
import type { AnalyticsType, NodeConfig, NodeStatus } from '../nodes/node';
import type { AlertNodeContext } from './alert-effects';

export interface AlertNode extends AlertNodeContext {
  category: string;
  analyticsType: AnalyticsType;
  config: NodeConfig;
  expectedIntervalS: number;
  active: boolean;
  status: NodeStatus;
}

/** The columns `alertNodesQuery` selects, as Postgres returns them. */
export interface AlertNodeRow {
  id: string;
  node_key: string;
  label: string;
  community_id: string;
  distributor_id: string | null;
  category: string;
  analytics_type: AnalyticsType;
  config: NodeConfig | null;
  expected_interval_s: number;
  active: boolean;
  status: NodeStatus;
}

const COLUMNS = [
  'nodes.id',
  'nodes.node_key',
  'nodes.label',
  'nodes.community_id',
  'communities.distributor_id',
  'nodes.category',
  'nodes.analytics_type',
  'nodes.config',
  'nodes.expected_interval_s',
  'nodes.active',
  'nodes.status',
];

export function toAlertNode(r: AlertNodeRow): AlertNode {
  return {
    nodeId: r.id,
    nodeKey: r.node_key,
    label: r.label,
    communityId: r.community_id,
    distributorId: r.distributor_id ?? null,
    category: r.category,
    analyticsType: r.analytics_type,
    config: r.config ?? {},
    expectedIntervalS: r.expected_interval_s,
    active: r.active,
    status: r.status,
  };
}

/** Nodes joined with their community, as the alert engine needs them (for the sweep's queries). */
export function alertNodesQuery(conn: Conn): Knex.QueryBuilder {
  return conn('nodes').join('communities', 'communities.id', 'nodes.community_id').select(COLUMNS);
}

export async function loadAlertNode(conn: Conn, nodeId: string): Promise<AlertNode | undefined> {
  const row: AlertNodeRow | undefined = await alertNodesQuery(conn).where('nodes.id', nodeId).first();
  return row ? toAlertNode(row) : undefined;
}

import type { Knex } from 'knex';
import type { AnalyticsType, NodeConfig } from '../nodes/node';
import type { AlertNodeContext } from './alert-effects';

export interface AlertNode extends AlertNodeContext {
  category: string;
  analyticsType: AnalyticsType;
  config: NodeConfig;
  expectedIntervalS: number;
  active: boolean;
  status: string;
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

export function toAlertNode(r: Record<string, unknown>): AlertNode {
  return {
    nodeId: r.id as string,
    nodeKey: r.node_key as string,
    label: r.label as string,
    communityId: r.community_id as string,
    distributorId: (r.distributor_id as string | null) ?? null,
    category: r.category as string,
    analyticsType: r.analytics_type as AnalyticsType,
    config: (r.config as NodeConfig) ?? {},
    expectedIntervalS: r.expected_interval_s as number,
    active: r.active as boolean,
    status: r.status as string,
  };
}

/** Nodes joined with their community, as the alert engine needs them. */
export function alertNodesQuery(conn: Knex | Knex.Transaction): Knex.QueryBuilder {
  return conn('nodes').join('communities', 'communities.id', 'nodes.community_id').select(COLUMNS);
}

export async function loadAlertNode(conn: Knex | Knex.Transaction, nodeId: string): Promise<AlertNode | undefined> {
  const row = (await alertNodesQuery(conn).where('nodes.id', nodeId).first()) as Record<string, unknown> | undefined;
  return row ? toAlertNode(row) : undefined;
}

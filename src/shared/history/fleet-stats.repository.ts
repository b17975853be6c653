import type { Knex } from 'knex';
import type { Scope } from '../auth/scope';
import type { Db } from '../db/knex';
import { whereCommunityInScope } from '../db/scope-filter';
import type { NodeCategory, NodeConfig } from '../nodes/node';
import type { NodeEpoch } from './mapped-reading';

export interface LowTankRow {
  id: string;
  label: string;
  category: NodeCategory;
  config: NodeConfig;
  expectedIntervalS: number;
  levelPct: number;
  volumeL: number | null;
  capacityL: number | null;
  lastReadingAt: Date | null;
}

export function createFleetStatsRepository(db: Db) {
  const scoped = (scope: Scope): Knex.QueryBuilder => whereCommunityInScope(db('nodes').leftJoin('node_state', 'node_state.node_id', 'nodes.id'), scope, 'nodes.community_id');

  return {
    /** Nodes in scope whose newest reading was recorded at or after `since`. */
    async reportingSince(scope: Scope, since: Date): Promise<number> {
      const [row] = (await scoped(scope).where('node_state.last_reading_at', '>=', since).count('nodes.id as count')) as Array<{ count: string }>;
      return Number(row?.count ?? 0);
    },

    /**
     * Tanks in scope whose current level is below `belowPct`, lowest first (then label, id), at
     * most `limit`, with how many there are in all.
     */
    async lowTanks(scope: Scope, belowPct: number, limit: number): Promise<{ total: number; items: LowTankRow[] }> {
      const q = scoped(scope).where('nodes.analytics_type', 'EvaraTank').where('node_state.level_pct', '<', belowPct);
      const [rows, counted] = await Promise.all([
        q
          .clone()
          .orderBy([{ column: 'node_state.level_pct' }, { column: 'nodes.label' }, { column: 'nodes.id' }])
          .limit(limit)
          .select('nodes.id', 'nodes.label', 'nodes.category', 'nodes.config', 'nodes.expected_interval_s', 'node_state.level_pct', 'node_state.volume_l', 'node_state.capacity_l', 'node_state.last_reading_at') as Promise<
          Array<{ id: string; label: string; category: NodeCategory; config: NodeConfig; expected_interval_s: number; level_pct: number; volume_l: number | null; capacity_l: number | null; last_reading_at: Date | null }>
        >,
        q.clone().count('nodes.id as count') as Promise<Array<{ count: string }>>,
      ]);
      return {
        total: Number(counted[0]?.count ?? 0),
        items: rows.map((r) => ({
          id: r.id,
          label: r.label,
          category: r.category,
          config: r.config,
          expectedIntervalS: r.expected_interval_s,
          levelPct: r.level_pct,
          volumeL: r.volume_l,
          capacityL: r.capacity_l,
          lastReadingAt: r.last_reading_at,
        })),
      };
    },

    /** Every epoch of the channels of these nodes, by node id. */
    async epochsOfNodes(nodeIds: readonly string[]): Promise<Map<string, NodeEpoch[]>> {
      const out = new Map<string, NodeEpoch[]>(nodeIds.map((id) => [id, []]));
      if (nodeIds.length === 0) return out;
      const rows: Array<{ id: number; node_id: string; field_mapping: Record<string, string> | null }> = await db('channel_epochs')
        .join('node_channels', 'node_channels.id', 'channel_epochs.node_channel_id')
        .whereIn('node_channels.node_id', [...nodeIds])
        .select('channel_epochs.id', 'node_channels.node_id', 'node_channels.field_mapping');
      for (const r of rows) out.get(r.node_id)?.push({ channelEpochId: r.id, mapping: r.field_mapping ?? {} });
      return out;
    },
  };
}

export type FleetStatsRepository = ReturnType<typeof createFleetStatsRepository>;

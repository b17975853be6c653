import type { Scope } from '../auth/scope';
import type { NodeCategory, NodeStatus } from '../nodes/node';
import type { NodesRepository } from '../nodes/nodes.repository';
import { daysToEmpty, drainWindowOf, DRAIN_WINDOW_DAYS, type DaysToEmpty } from './days-to-empty';
import type { FleetStatsRepository, LowTankRow } from './fleet-stats.repository';
import { loadSamples } from './load-node-stats';
import type { NodeEpoch } from './mapped-reading';
import { noDrainBasis, volumeOfDistance, type NodeForStats } from './node-stats';
import type { NodeStatsRepository, TimedValue } from './node-stats.repository';
import { valueColumnsOf } from './value-columns';
import { round } from './round';
import { DAY_MS } from './utc-days';

/** Tanks below this level are "low" (the old dashboard's threshold, domain.md). */
export const LOW_TANK_PCT = 20;
/** "Reporting" means a reading recorded within this long before now. */
export const REPORTING_WINDOW_MS = 3_600_000;

export interface LowTank {
  nodeId: string;
  label: string;
  category: NodeCategory;
  levelPct: number;
  volumeL: number | null;
  capacityL: number | null;
  lastReadingAt: string | null;
  daysToEmpty: number | null;
  daysToEmptyBasis: DaysToEmpty['basis'];
}

/** GET /stats/fleet. */
export interface FleetStats {
  asOf: string;
  nodes: number;
  byStatus: Record<NodeStatus, number>;
  byCategory: Record<NodeCategory, number>;
  reportingLastHour: { count: number; share: number };
  lowTanks: { belowPct: number; total: number; limit: number; items: LowTank[] };
}

export interface FleetStatsDeps {
  nodes: Pick<NodesRepository, 'summary'>;
  fleet: FleetStatsRepository;
  nodeStats: NodeStatsRepository;
}

/**
 * Days to empty of one low tank from the count and the two ends of its window's valid distances
 * (the same values /nodes/{id}/stats reads, without the rows in between), or from its decoded
 * readings when a distance sits in field5..8.
 */
async function lowTankDrain(deps: FleetStatsDeps, tank: LowTankRow, epochs: readonly NodeEpoch[], nowMs: number): Promise<DaysToEmpty> {
  const node: NodeForStats = { id: tank.id, analyticsType: 'EvaraTank', config: tank.config, expectedIntervalS: tank.expectedIntervalS };
  if (!tank.config.tank) return noDrainBasis('tank dimensions are not configured');
  const from = new Date(nowMs - DRAIN_WINDOW_DAYS * DAY_MS);
  const now = new Date(nowMs);
  const plan = valueColumnsOf(node, epochs)!;
  if (plan.untyped) {
    const samples = await loadSamples(deps.nodeStats, node, epochs, from, now);
    return daysToEmpty(drainWindowOf(samples.measure === 'distance' ? samples.volumes : [], from.getTime(), nowMs));
  }
  const w = await deps.nodeStats.valueWindow(plan.columns, from, now, 'positive');
  const volumeOf = volumeOfDistance(node, node.config.primaryMetric ?? 'distance_cm');
  const end = (v: TimedValue | null) => {
    const volumeL = v ? volumeOf(v.value) : null;
    return v && volumeL !== null ? { at: v.at, volumeL } : null;
  };
  return daysToEmpty({ readings: w.readings, first: end(w.first), last: end(w.last) });
}

/** Counts of the nodes in scope, the share reporting in the last hour, and the lowest tanks with their days to empty. */
export async function fleetStats(deps: FleetStatsDeps, q: { scope: Scope; lowTanksLimit: number; nowMs: number }): Promise<FleetStats> {
  const [summary, reporting, low] = await Promise.all([
    deps.nodes.summary(q.scope, {}),
    deps.fleet.reportingSince(q.scope, new Date(q.nowMs - REPORTING_WINDOW_MS)),
    deps.fleet.lowTanks(q.scope, LOW_TANK_PCT, q.lowTanksLimit),
  ]);
  const epochs = await deps.fleet.epochsOfNodes(low.items.map((t) => t.id));
  const items: LowTank[] = [];
  // One tank after another: at most lowTanksLimit small index queries, without taking the whole pool.
  for (const t of low.items) {
    const drain = await lowTankDrain(deps, t, epochs.get(t.id) ?? [], q.nowMs);
    items.push({
      nodeId: t.id,
      label: t.label,
      category: t.category,
      levelPct: t.levelPct,
      volumeL: t.volumeL,
      capacityL: t.capacityL,
      lastReadingAt: t.lastReadingAt ? t.lastReadingAt.toISOString() : null,
      daysToEmpty: drain.daysToEmpty,
      daysToEmptyBasis: drain.basis,
    });
  }
  return {
    asOf: new Date(q.nowMs).toISOString(),
    nodes: summary.total,
    byStatus: summary.byStatus,
    byCategory: summary.byCategory,
    reportingLastHour: { count: reporting, share: summary.total === 0 ? 0 : round(reporting / summary.total, 4) },
    lowTanks: { belowPct: LOW_TANK_PCT, total: low.total, limit: q.lowTanksLimit, items },
  };
}

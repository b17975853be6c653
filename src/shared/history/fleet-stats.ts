import type { Scope } from '../auth/scope';
import { primaryAliasesOf } from '../nodes/node-state';
import type { NodeCategory, NodeStatus } from '../nodes/node';
import type { NodesRepository } from '../nodes/nodes.repository';
import { FIELD_COLUMNS, type FieldColumn } from '../readings/reading-codec';
import { FIELD_KEYS } from '../thingspeak/feed';
import { daysToEmpty, drainWindowOf, DRAIN_WINDOW_DAYS, type DaysToEmpty } from './days-to-empty';
import type { DistanceEpoch, FleetStatsRepository, LowTankRow } from './fleet-stats.repository';
import { noDrainBasis, volumeSamples, type NodeForStats } from './node-stats';
import type { NodeEpoch, NodeStatsRepository } from './node-stats.repository';
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
  nodeStats: Pick<NodeStatsRepository, 'readingsBetween'>;
}

/**
 * Which typed column holds an epoch's tank distance: the field its mapping gives the first primary
 * alias it has (node-state.ts). undefined when the channel carries no distance; 'untyped' when the
 * distance is in field5..8, which only the full decode can read.
 */
export function distanceColumnOf(node: Pick<NodeForStats, 'analyticsType' | 'config'>, mapping: Record<string, string>): FieldColumn | 'untyped' | undefined {
  for (const alias of primaryAliasesOf(node)) {
    const mapped = Object.entries(mapping).find(([, a]) => a === alias)?.[0];
    const field = mapped ?? ((FIELD_KEYS as readonly string[]).includes(alias) && mapping[alias] === undefined ? alias : undefined);
    if (field === undefined) continue;
    const i = (FIELD_KEYS as readonly string[]).indexOf(field);
    return FIELD_COLUMNS[i] ?? 'untyped';
  }
  return undefined;
}

/** Days to empty of one low tank from the SQL ends of its window, or the full decode when a distance sits in an untyped field. */
async function lowTankDrain(deps: FleetStatsDeps, tank: LowTankRow, epochs: readonly NodeEpoch[], nowMs: number): Promise<DaysToEmpty> {
  const node: NodeForStats = { id: tank.id, analyticsType: 'EvaraTank', config: tank.config, expectedIntervalS: tank.expectedIntervalS };
  if (!tank.config.tank) return noDrainBasis('tank dimensions are not configured');
  const from = new Date(nowMs - DRAIN_WINDOW_DAYS * DAY_MS);
  const now = new Date(nowMs);
  const located = epochs.map((e) => ({ ...e, column: distanceColumnOf(node, e.mapping) }));
  if (located.some((e) => e.column === 'untyped')) {
    const volumes = volumeSamples(node, await deps.nodeStats.readingsBetween(epochs, from, now));
    return daysToEmpty(drainWindowOf(volumes, from.getTime(), nowMs));
  }
  const typed = located.filter((e): e is DistanceEpoch => e.column !== undefined && e.column !== 'untyped');
  const w = await deps.fleet.validDistanceWindow(typed, from, now);
  const [first] = w.first ? volumeSamples(node, [w.first]) : [];
  const [last] = w.last ? volumeSamples(node, [w.last]) : [];
  return daysToEmpty({ readings: w.readings, first: first ?? null, last: last ?? null });
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

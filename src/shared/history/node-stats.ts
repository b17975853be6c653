import { sampleMetrics, type StoredReading } from '../alerts/sample-metrics';
import type { AnalyticsType, NodeConfig } from '../nodes/node';
import { completeness, expectedReadings } from './completeness';
import { daysToEmpty, drainWindowOf, DRAIN_WINDOW_DAYS, type DaysToEmpty } from './days-to-empty';
import { DEFAULT_FLOW_RATE_UNIT, integrateFlowRateByDay, type RateSample } from './flow-rate-integration';
import { tankConsumptionByDay, type VolumeSample } from './tank-consumption';
import { TOTALISER_ALIASES, totaliserFlowByDay, type FlowDay, type TotaliserSample } from './totaliser';
import { round } from './round';
import { DAY_MS, lastUtcDays, utcDayOf } from './utc-days';

export type StatsKind = 'tank' | 'flow' | 'other';

export interface NodeForStats {
  id: string;
  analyticsType: AnalyticsType;
  config: NodeConfig;
  expectedIntervalS: number;
}

/** A stored reading with the field mapping of the channel it came from. */
export interface MappedReading extends StoredReading {
  mapping: Record<string, string>;
}

export interface StatsDay {
  day: string;
  readings: number;
  expected: number;
  completeness: number;
  drawnL: number | null;
  refilledL: number | null;
  netL: number | null;
  flowL: number | null;
  totaliserResets: number;
}

/** GET /nodes/:id/stats (contracts.md). */
export interface NodeStats {
  nodeId: string;
  analyticsType: AnalyticsType;
  kind: StatsKind;
  from: string;
  to: string;
  days: StatsDay[];
  daysToEmpty: number | null;
  daysToEmptyBasis: DaysToEmpty['basis'];
}

export function statsKindOf(analyticsType: AnalyticsType): StatsKind {
  return analyticsType === 'EvaraTank' ? 'tank' : analyticsType === 'EvaraFlow' ? 'flow' : 'other';
}

/**
 * From where readings must be read for stats over `days` days ending now: the first day, the
 * days-to-empty window, and one more day before either so the first reading has its predecessor
 * (a fall between yesterday's last reading and today's first counts today).
 */
export function readingsNeededFrom(nowMs: number, days: number): number {
  const firstDay = lastUtcDays(nowMs, days)[0]!;
  return Math.min(firstDay, nowMs - DRAIN_WINDOW_DAYS * DAY_MS) - DAY_MS;
}

/** A basis with nothing to go on, for nodes days to empty does not apply to. */
export function noDrainBasis(reason: string): DaysToEmpty {
  return { daysToEmpty: null, basis: { windowDays: DRAIN_WINDOW_DAYS, readings: 0, spanHours: 0, netDrainLPerDay: null, reason } };
}

/** The tank's valid volume readings, oldest first, as alerts see them (sampleMetrics): invalid readings are skipped, not zero. */
export function volumeSamples(node: NodeForStats, readings: readonly MappedReading[]): VolumeSample[] {
  const out: VolumeSample[] = [];
  for (const r of readings) {
    const v = sampleMetrics(r, r.mapping, node).values.get('volume_l');
    if (v !== undefined && v !== null && Number.isFinite(v)) out.push({ at: r.recordedAt.getTime(), volumeL: v });
  }
  return out;
}

/** Whether any of the node's channels maps a totaliser alias: its litres then come from the counter. */
export function hasTotaliser(mappings: ReadonlyArray<Record<string, string>>): boolean {
  return mappings.some((m) => Object.values(m).some((alias) => (TOTALISER_ALIASES as readonly string[]).includes(alias)));
}

function flowDays(node: NodeForStats, readings: readonly MappedReading[]): Map<string, FlowDay> {
  if (hasTotaliser(readings.map((r) => r.mapping))) {
    const samples: TotaliserSample[] = [];
    for (const r of readings) {
      const values = sampleMetrics(r, r.mapping, node).values;
      const total = TOTALISER_ALIASES.map((a) => values.get(a)).find((v) => v !== undefined && v !== null);
      if (total !== undefined && total !== null && Number.isFinite(total) && total >= 0) samples.push({ at: r.recordedAt.getTime(), totalL: total });
    }
    return totaliserFlowByDay(samples);
  }
  const samples: RateSample[] = [];
  for (const r of readings) {
    const rate = sampleMetrics(r, r.mapping, node).values.get('flow_rate');
    // A negative rate is not water this meter delivered: skipped like any invalid reading.
    if (rate !== undefined && rate !== null && Number.isFinite(rate) && rate >= 0) samples.push({ at: r.recordedAt.getTime(), rate });
  }
  return integrateFlowRateByDay(samples, { unit: node.config.flow?.rateUnit ?? DEFAULT_FLOW_RATE_UNIT, expectedIntervalS: node.expectedIntervalS });
}

/**
 * The per-day statistics of one node over the `days` UTC days ending now, from its readings
 * (oldest first, from readingsNeededFrom) and its stored readings counted per UTC day.
 */
export function nodeStats(node: NodeForStats, input: { readings: readonly MappedReading[]; countsByDay: ReadonlyMap<string, number>; nowMs: number; days: number }): NodeStats {
  const kind = statsKindOf(node.analyticsType);
  const dayStarts = lastUtcDays(input.nowMs, input.days);
  let tank = new Map<string, { drawnL: number; refilledL: number; netL: number }>();
  let flow = new Map<string, FlowDay>();
  let drain: DaysToEmpty;
  if (kind === 'tank') {
    const volumes = volumeSamples(node, input.readings);
    tank = tankConsumptionByDay(volumes);
    drain = node.config.tank ? daysToEmpty(drainWindowOf(volumes, input.nowMs - DRAIN_WINDOW_DAYS * DAY_MS, input.nowMs)) : noDrainBasis('tank dimensions are not configured');
  } else {
    if (kind === 'flow') flow = flowDays(node, input.readings);
    drain = noDrainBasis('not a tank');
  }
  const days = dayStarts.map((start): StatsDay => {
    const day = utcDayOf(start);
    const readings = input.countsByDay.get(day) ?? 0;
    const expected = expectedReadings(start, input.nowMs, node.expectedIntervalS);
    const t = tank.get(day);
    const f = flow.get(day);
    return {
      day,
      readings,
      expected,
      completeness: round(completeness(readings, expected), 4),
      drawnL: t ? round(t.drawnL, 1) : null,
      refilledL: t ? round(t.refilledL, 1) : null,
      netL: t ? round(t.netL, 1) : null,
      flowL: f ? round(f.flowL, 3) : null,
      totaliserResets: f?.totaliserResets ?? 0,
    };
  });
  return {
    nodeId: node.id,
    analyticsType: node.analyticsType,
    kind,
    from: new Date(dayStarts[0]!).toISOString(),
    to: new Date(input.nowMs).toISOString(),
    days,
    daysToEmpty: drain.daysToEmpty,
    daysToEmptyBasis: drain.basis,
  };
}

import { sampleMetrics } from '../alerts/sample-metrics';
import type { AnalyticsType, NodeConfig } from '../nodes/node';
import { completeness, expectedReadings } from './completeness';
import { daysToEmpty, drainWindowOf, DRAIN_WINDOW_DAYS, type DaysToEmpty } from './days-to-empty';
import { DEFAULT_FLOW_RATE_UNIT, integrateFlowRateByDay, type RateSample } from './flow-rate-integration';
import type { MappedReading } from './mapped-reading';
import { round } from './round';
import { tankConsumptionByDay, type TankDay, type VolumeSample } from './tank-consumption';
import { TOTALISER_ALIASES, totaliserFlowByDay, type FlowDay, type TotaliserSample } from './totaliser';
import { DAY_MS, lastUtcDays, utcDayOf } from './utc-days';
import { hasTotaliser, type StatsMeasure } from './value-columns';

export type StatsKind = 'tank' | 'flow' | 'other';

export interface NodeForStats {
  id: string;
  analyticsType: AnalyticsType;
  config: NodeConfig;
  expectedIntervalS: number;
}

/** The valid per-reading values stats are computed from, oldest first. */
export type NodeSamples = { measure: 'distance'; volumes: VolumeSample[] } | { measure: 'totaliser'; totals: TotaliserSample[] } | { measure: 'rate'; rates: RateSample[] } | { measure: 'none' };

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

const finite = (v: number | null | undefined): v is number => v !== undefined && v !== null && Number.isFinite(v);

/**
 * The litres a tank holds at a distance reading, as alerts compute them (sampleMetrics on a
 * reading carrying only that distance); null for an invalid distance. Memoised per distance: a
 * sensor repeats a few thousand distinct values over a month of readings.
 */
export function volumeOfDistance(node: NodeForStats, alias: string): (distance: number) => number | null {
  const memo = new Map<number, number | null>();
  const at = new Date(0);
  return (distance) => {
    let v = memo.get(distance);
    if (v === undefined) {
      const got = sampleMetrics({ entryId: 0, recordedAt: at, parsed: { [alias]: { value: distance, status: 'ok' } } }, {}, node).values.get('volume_l');
      v = finite(got) ? got : null;
      memo.set(distance, v);
    }
    return v;
  };
}

/** The tank's valid volume readings, oldest first, as alerts see them (sampleMetrics): invalid readings are skipped, not zero. */
export function volumeSamples(node: NodeForStats, readings: readonly MappedReading[]): VolumeSample[] {
  const out: VolumeSample[] = [];
  for (const r of readings) {
    const v = sampleMetrics(r, r.mapping, node).values.get('volume_l');
    if (finite(v)) out.push({ at: r.recordedAt.getTime(), volumeL: v });
  }
  return out;
}

/**
 * Samples from fully decoded readings (any field, any channel), through sampleMetrics. A flow
 * meter's totaliser is used when `totaliser` says so (valueColumnsOf decides it from every channel),
 * by default when one of these readings' channels maps one.
 */
export function samplesFromReadings(node: NodeForStats, readings: readonly MappedReading[], totaliser = hasTotaliser(readings.map((r) => r.mapping))): NodeSamples {
  switch (statsKindOf(node.analyticsType)) {
    case 'tank':
      return { measure: 'distance', volumes: volumeSamples(node, readings) };
    case 'other':
      return { measure: 'none' };
    case 'flow':
      break;
  }
  if (totaliser) {
    const totals: TotaliserSample[] = [];
    for (const r of readings) {
      const values = sampleMetrics(r, r.mapping, node).values;
      const total = TOTALISER_ALIASES.map((a) => values.get(a)).find((v) => v !== undefined && v !== null);
      if (finite(total) && total >= 0) totals.push({ at: r.recordedAt.getTime(), totalL: total });
    }
    return { measure: 'totaliser', totals };
  }
  const rates: RateSample[] = [];
  for (const r of readings) {
    const rate = sampleMetrics(r, r.mapping, node).values.get('flow_rate');
    // A negative rate is not water this meter delivered: skipped like any invalid reading.
    if (finite(rate) && rate >= 0) rates.push({ at: r.recordedAt.getTime(), rate });
  }
  return { measure: 'rate', rates };
}

/**
 * Samples from one value per reading (value-columns.ts), already limited to valid ones by the
 * query. A distance becomes litres through sampleMetrics; a totaliser count and a flow rate are
 * what sampleMetrics would give back unchanged.
 */
export function samplesFromValues(node: NodeForStats, measure: StatsMeasure, values: ReadonlyArray<{ at: number; value: number }>): NodeSamples {
  if (measure === 'totaliser') return { measure, totals: values.filter((v) => v.value >= 0).map((v) => ({ at: v.at, totalL: v.value })) };
  if (measure === 'rate') return { measure, rates: values.filter((v) => v.value >= 0).map((v) => ({ at: v.at, rate: v.value })) };
  const volumeOf = volumeOfDistance(node, node.config.primaryMetric ?? 'distance_cm');
  const volumes: VolumeSample[] = [];
  for (const v of values) {
    const volumeL = volumeOf(v.value);
    if (volumeL !== null) volumes.push({ at: v.at, volumeL });
  }
  return { measure, volumes };
}

/**
 * The per-day statistics of one node over the `days` UTC days ending now, from its samples
 * (from readingsNeededFrom on) and its stored readings counted per UTC day.
 */
export function nodeStats(node: NodeForStats, input: { samples: NodeSamples; countsByDay: ReadonlyMap<string, number>; nowMs: number; days: number }): NodeStats {
  const kind = statsKindOf(node.analyticsType);
  const dayStarts = lastUtcDays(input.nowMs, input.days);
  const s = input.samples;
  let tank = new Map<string, TankDay>();
  let flow = new Map<string, FlowDay>();
  let drain = noDrainBasis('not a tank');
  if (kind === 'tank' && s.measure === 'distance') {
    tank = tankConsumptionByDay(s.volumes);
    drain = node.config.tank ? daysToEmpty(drainWindowOf(s.volumes, input.nowMs - DRAIN_WINDOW_DAYS * DAY_MS, input.nowMs)) : noDrainBasis('tank dimensions are not configured');
  } else if (kind === 'flow' && s.measure === 'totaliser') {
    flow = totaliserFlowByDay(s.totals);
  } else if (kind === 'flow' && s.measure === 'rate') {
    flow = integrateFlowRateByDay(s.rates, { unit: node.config.flow?.rateUnit ?? DEFAULT_FLOW_RATE_UNIT, expectedIntervalS: node.expectedIntervalS });
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

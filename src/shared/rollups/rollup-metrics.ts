import type { AnalyticsType } from '../nodes/node';
import type { NodeForState } from '../nodes/node-state';
import { sampleMetrics, type StoredReading } from '../alerts/sample-metrics';

/** Bucket widths kept as rollups; `raw` (one point per reading) is read from readings. */
export const ROLLUP_BUCKETS = ['1h', '1d'] as const;
export type RollupBucket = (typeof ROLLUP_BUCKETS)[number];

export const BUCKET_MS: Record<RollupBucket, number> = { '1h': 3_600_000, '1d': 86_400_000 };

/** Start of the UTC hour or day holding `at` (ms). */
export function bucketStart(bucket: RollupBucket, at: number): number {
  return Math.floor(at / BUCKET_MS[bucket]) * BUCKET_MS[bucket];
}

/** Values sampleMetrics derives per reading, by analytics type. */
export const DERIVED_METRICS: Record<AnalyticsType, readonly string[]> = {
  EvaraTank: ['level_pct', 'volume_l'],
  EvaraFlow: ['flow_rate'],
  EvaraDeep: ['depth_m'],
};

/** The metrics a node reports: its channels' field aliases and its type's derived values, sorted. */
export function metricsOfNode(analyticsType: AnalyticsType, mappings: ReadonlyArray<Record<string, string>>): string[] {
  const names = new Set<string>(DERIVED_METRICS[analyticsType]);
  for (const mapping of mappings) for (const alias of Object.values(mapping)) names.add(alias);
  return [...names].sort();
}

/**
 * The (metric, number) pairs one reading contributes to rollups and series: its mapped aliases and
 * derived values, as alerts see them (sampleMetrics). Unmapped fields, fields the entry did not
 * write and values that are not finite numbers contribute nothing.
 */
export function rollupValues(
  reading: StoredReading,
  mapping: Record<string, string>,
  node: NodeForState,
  names: readonly string[] = metricsOfNode(node.analyticsType, [mapping]),
): Array<[string, number]> {
  const values = sampleMetrics(reading, mapping, node).values;
  const out: Array<[string, number]> = [];
  for (const name of names) {
    const v = values.get(name);
    if (typeof v === 'number' && Number.isFinite(v)) out.push([name, v]);
  }
  return out;
}

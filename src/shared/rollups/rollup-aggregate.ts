import { BUCKET_MS, ROLLUP_BUCKETS, type RollupBucket } from './rollup-metrics';

/** One metric value of one reading, to be folded into its hour and day buckets. */
export interface RollupSample {
  nodeChannelId: string;
  metric: string;
  /** The reading's recorded time, ms. */
  at: number;
  channelEpochId: number;
  entryId: number;
  value: number;
}

/** The reading that is first or last in a bucket, with the key that orders readings. */
export interface Extreme {
  value: number;
  at: number;
  channelEpochId: number;
  entryId: number;
}

/** One bucket's summary of some samples: mergeable with another of the same bucket in any order. */
export interface BucketAggregate {
  nodeChannelId: string;
  metric: string;
  bucket: RollupBucket;
  start: number;
  count: number;
  /** Exact decimal text of the sum of the values' shortest decimal texts (what Postgres numeric adds). */
  sum: string;
  min: number;
  max: number;
  first: Extreme;
  last: Extreme;
}

/** Readings in order: recorded time, then channel epoch, then entry id (a total order). */
export function compareExtremes(a: Extreme, b: Extreme): number {
  return a.at - b.at || a.channelEpochId - b.channelEpochId || a.entryId - b.entryId;
}

/** A decimal as an integer and a scale: digits / 10^scale. */
interface Decimal {
  digits: bigint;
  scale: number;
}

/** The exact decimal of a double's shortest text (String(v)), e.g. 71.8 -> 718 / 10^1; 1e21 -> 10^21. */
function toDecimal(v: number): Decimal {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(v));
  if (!m) throw new Error(`not a finite number: ${v}`);
  const frac = m[3] ?? '';
  let digits = BigInt(`${m[1]}${m[2]}${frac}`);
  let scale = frac.length - Number(m[4] ?? 0);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { digits: a.digits * 10n ** BigInt(scale - a.scale) + b.digits * 10n ** BigInt(scale - b.scale), scale };
}

function decimalText(d: Decimal): string {
  if (d.scale === 0) return d.digits.toString();
  const negative = d.digits < 0n;
  const text = (negative ? -d.digits : d.digits).toString().padStart(d.scale + 1, '0');
  return `${negative ? '-' : ''}${text.slice(0, -d.scale)}.${text.slice(-d.scale)}`;
}

/**
 * Samples grouped into their hour and day buckets (per node channel and metric). Folding happens
 * here rather than in SQL: Postgres ran an ordered aggregate per group for first / last, several
 * times slower than this loop. The sum stays exact (decimal), so buckets built from any split of
 * the same samples, merged in any order, are equal.
 */
export function aggregateSamples(samples: ReadonlyArray<RollupSample>): BucketAggregate[] {
  const groups = new Map<string, BucketAggregate & { total: Decimal }>();
  for (const s of samples) {
    const point: Extreme = { value: s.value, at: s.at, channelEpochId: s.channelEpochId, entryId: s.entryId };
    const decimal = toDecimal(s.value);
    for (const bucket of ROLLUP_BUCKETS) {
      const start = Math.floor(s.at / BUCKET_MS[bucket]) * BUCKET_MS[bucket];
      const key = `${s.nodeChannelId}|${s.metric}|${bucket}|${start}`;
      const g = groups.get(key);
      if (!g) {
        groups.set(key, { nodeChannelId: s.nodeChannelId, metric: s.metric, bucket, start, count: 1, sum: '', total: decimal, min: s.value, max: s.value, first: point, last: point });
        continue;
      }
      g.count += 1;
      g.total = addDecimal(g.total, decimal);
      if (s.value < g.min) g.min = s.value;
      if (s.value > g.max) g.max = s.value;
      if (compareExtremes(point, g.first) < 0) g.first = point;
      if (compareExtremes(point, g.last) > 0) g.last = point;
    }
  }
  return [...groups.values()].map(({ total, ...g }) => ({ ...g, sum: decimalText(total) }));
}

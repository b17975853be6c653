import type { Db } from '../db/knex';
import { BUCKET_MS, metricsOfNode, rollupValues, type RollupBucket } from './rollup-metrics';
import { readingsOfChannels, rollupChannelsOfNode, seriesOfNode, type SeriesPoint } from './rollups.repository';

/** Raw series answer at most this many points (one per reading). */
export const MAX_RAW_POINTS = 10_000;

export type SeriesBucket = RollupBucket | 'raw';

export interface SeriesQuery {
  nodeId: string;
  metric: string;
  bucket: SeriesBucket;
  from: Date;
  to: Date;
}

export interface Series {
  points: SeriesPoint[];
  /** Raw only: more readings than MAX_RAW_POINTS fell in the range; the oldest are answered. */
  truncated: boolean;
}

/**
 * A node's values of one metric over [from, to], oldest first. 1h / 1d: the rollup buckets that
 * overlap the range (from the one holding `from`), buckets without readings absent. raw: one point
 * per reading recorded in the range (value computed like rollups and alerts compute it), capped.
 */
export async function nodeSeries(db: Db, q: SeriesQuery): Promise<Series> {
  if (q.bucket !== 'raw') {
    const from = new Date(Math.floor(q.from.getTime() / BUCKET_MS[q.bucket]) * BUCKET_MS[q.bucket]);
    return { points: await seriesOfNode(db, { nodeId: q.nodeId, metric: q.metric, bucket: q.bucket, from, to: q.to }), truncated: false };
  }
  const channels = await rollupChannelsOfNode(db, q.nodeId);
  const byId = new Map(channels.map((c) => [c.nodeChannelId, { channel: c, names: metricsOfNode(c.analyticsType, [c.mapping]) }]));
  const points: SeriesPoint[] = [];
  let after: { recordedAt: Date; channelEpochId: number; entryId: number } | undefined;
  const page = MAX_RAW_POINTS + 1;
  // Pages of readings until one more point than the cap is found: readings without the metric do not count.
  for (;;) {
    const readings = await readingsOfChannels(db, { nodeChannelIds: [...byId.keys()], from: q.from, to: new Date(q.to.getTime() + 1), after, limit: page });
    for (const r of readings) {
      const { channel, names } = byId.get(r.nodeChannelId)!;
      const value = rollupValues(r, channel.mapping, channel, names).find(([metric]) => metric === q.metric)?.[1];
      if (value === undefined) continue;
      if (points.length === MAX_RAW_POINTS) return { points, truncated: true };
      points.push({ bucketStart: r.recordedAt, count: 1, min: value, max: value, avg: value, first: value, last: value });
    }
    if (readings.length < page) return { points, truncated: false };
    const last = readings[readings.length - 1]!;
    after = { recordedAt: last.recordedAt, channelEpochId: last.channelEpochId, entryId: last.entryId };
  }
}

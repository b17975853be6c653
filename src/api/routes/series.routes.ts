import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { MAX_RAW_POINTS, nodeSeries } from '../../shared/rollups/node-series';
import { metricsOfNode } from '../../shared/rollups/rollup-metrics';
import { authOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { timestamp, uuid } from '../openapi/envelopes';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { uuidParam } from './pagination';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const seriesQuery = z
  .object({
    metric: z.string().trim().min(1).max(100).optional(),
    bucket: z.enum(['1h', '1d', 'raw']).default('1h'),
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  })
  .strict();

const pointSchema = z.object({
  bucketStart: timestamp.meta({ description: "Start of the UTC hour or day; for raw, the reading's recorded time" }),
  count: z.number().int(),
  min: z.number(),
  max: z.number(),
  avg: z.number(),
  first: z.number().meta({ description: 'Value of the earliest reading in the bucket (by recorded time, then channel epoch, then entry id)' }),
  last: z.number(),
});

const seriesSchema = z.object({
  data: z.array(pointSchema),
  series: z.object({
    nodeId: uuid,
    metric: z.string(),
    bucket: z.enum(['1h', '1d', 'raw']),
    from: timestamp,
    to: timestamp,
    truncated: z.boolean().meta({ description: 'raw only: more readings fell in the range than maxPoints; the oldest maxPoints are answered' }),
    maxPoints: z.number().int().nullable().meta({ description: `${MAX_RAW_POINTS} for raw, null for rollups` }),
  }),
});

const seriesDoc: RouteDoc = {
  summary: "A node's values of one metric over time",
  description:
    'metric: a field alias of one of its channels or a derived value of its type (EvaraTank: level_pct, volume_l; EvaraFlow: flow_rate; EvaraDeep: depth_m). ' +
    'bucket 1h / 1d (UTC): hourly or daily count, min, max, avg, first and last from the rollups, the buckets overlapping [from, to] (from the one holding `from`); buckets without readings are absent. ' +
    `raw: one point per reading recorded in [from, to], at most ${MAX_RAW_POINTS} (truncated: true when cut). ` +
    'Defaults: to = now; from = to - 24 h (raw, 1h) or to - 30 d (1d). Oldest first. Readings of detached channels count: detaching keeps history.',
  tag: 'nodes',
  auth: ALL_ROLES,
  params: uuidParam,
  query: seriesQuery,
  responses: { 200: { description: 'The series', schema: seriesSchema } },
  errors: { 400: 'metric missing or not one the node reports (the message lists those it does), or from not before to', 404: 'NODE_NOT_FOUND' },
};

export function seriesRoutes(core: Core): Router {
  const router = Router();
  router.get('/nodes/:id/series', apiDoc(seriesDoc), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const q = parse(seriesQuery, req.query, 'query');
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - (q.bucket === '1d' ? 30 * DAY_MS : DAY_MS));
    if (from >= to) throw new ValidationError('Invalid query: query.from: must be earlier than query.to');
    const node = await core.repos.nodes.get(authOf(req).scope, id);
    if (!node) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    const metrics = metricsOfNode(node.analyticsType, node.channels.map((c) => c.fieldMapping));
    if (!q.metric || !metrics.includes(q.metric)) {
      const message = `${q.metric ? `node ${id} does not report "${q.metric}"` : 'is required'}; it reports: ${metrics.join(', ') || 'nothing'}`;
      throw new ValidationError(`Invalid query: query.metric: ${message}`, [{ field: 'query.metric', message }]);
    }
    const series = await nodeSeries(core.db, { nodeId: id, metric: q.metric, bucket: q.bucket, from, to });
    res.json({
      data: series.points.map((p) => ({ ...p, bucketStart: p.bucketStart.toISOString() })),
      series: { nodeId: id, metric: q.metric, bucket: q.bucket, from: from.toISOString(), to: to.toISOString(), truncated: series.truncated, maxPoints: q.bucket === 'raw' ? MAX_RAW_POINTS : null },
    });
  });
  return router;
}

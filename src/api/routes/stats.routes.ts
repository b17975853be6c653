import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { NotFoundError } from '../../shared/errors';
import { DRAIN_WINDOW_DAYS, MIN_DRAIN_READINGS, MIN_DRAIN_SPAN_HOURS } from '../../shared/history/days-to-empty';
import { fleetStats, LOW_TANK_PCT } from '../../shared/history/fleet-stats';
import { DEFAULT_FLOW_RATE_UNIT, MAX_GAP_INTERVALS } from '../../shared/history/flow-rate-integration';
import { loadNodeStats } from '../../shared/history/load-node-stats';
import { TOTALISER_ALIASES, TOTALISER_RESET_FRACTION } from '../../shared/history/totaliser';
import { ANALYTICS_TYPES, NODE_CATEGORIES, NODE_STATUSES } from '../../shared/nodes/node';
import { authOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf, timestamp, uuid } from '../openapi/envelopes';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { uuidParam } from './pagination';

const statsQuery = z
  .object({ days: z.coerce.number().int('must be a whole number of days').min(1, 'must be at least 1').max(366, 'must be at most 366').default(30) })
  .strict();
const fleetQuery = z
  .object({ lowTanksLimit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20) })
  .strict();

const litres = (what: string) => z.number().nullable().meta({ description: what });
const basisSchema = z.object({
  windowDays: z.number().int(),
  readings: z.number().int().meta({ description: 'Valid volume readings in the window' }),
  spanHours: z.number().meta({ description: 'Hours from the first to the last of them' }),
  netDrainLPerDay: z.number().nullable().meta({ description: '(first volume - last volume) / span in days; negative when filling; null when too thin' }),
  reason: z.string().nullable().meta({ description: 'Why daysToEmpty is null (too thin, and how thin; filling; flat; not a tank); null when it is not' }),
});

const nodeStatsSchema = z.object({
  nodeId: uuid,
  analyticsType: z.enum(ANALYTICS_TYPES),
  kind: z.enum(['tank', 'flow', 'other']),
  from: timestamp.meta({ description: 'Start of the first UTC day' }),
  to: timestamp.meta({ description: 'Now' }),
  days: z.array(
    z.object({
      day: z.string().meta({ description: 'UTC day, YYYY-MM-DD' }),
      readings: z.number().int().meta({ description: "Readings stored that day (all the node's channels)" }),
      expected: z.number().int().meta({ description: 'Readings expected from the expected interval (today: up to now)' }),
      completeness: z.number().meta({ description: 'readings / expected, capped at 1; 0 when expected is 0' }),
      drawnL: litres('Tanks: sum of the falls in volume; null when not a tank or no valid reading that day'),
      refilledL: litres('Tanks: sum of the rises'),
      netL: litres('Tanks: refilledL - drawnL'),
      flowL: litres('Flow meters: litres that day; null when not a flow meter or no valid reading that day'),
      totaliserResets: z.number().int().meta({ description: 'Flow meters with a totaliser: resets seen that day' }),
    }),
  ),
  daysToEmpty: z.number().nullable(),
  daysToEmptyBasis: basisSchema,
});

const countsOf = (keys: readonly string[]) => z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])));
const fleetSchema = z.object({
  asOf: timestamp,
  nodes: z.number().int().meta({ description: 'Nodes in scope' }),
  byStatus: countsOf(NODE_STATUSES),
  byCategory: countsOf(NODE_CATEGORIES),
  reportingLastHour: z.object({ count: z.number().int(), share: z.number().meta({ description: 'count / nodes; 0 with no nodes' }) }),
  lowTanks: z.object({
    belowPct: z.number(),
    total: z.number().int().meta({ description: 'Every tank in scope below belowPct' }),
    limit: z.number().int(),
    items: z.array(
      z.object({
        nodeId: uuid,
        label: z.string(),
        category: z.enum(NODE_CATEGORIES),
        levelPct: z.number(),
        volumeL: z.number().nullable(),
        capacityL: z.number().nullable(),
        lastReadingAt: timestamp.nullable(),
        daysToEmpty: z.number().nullable(),
        daysToEmptyBasis: basisSchema,
      }),
    ),
  }),
});

const METHOD =
  `Tanks: volume_l per reading as alerts compute it; each step between consecutive valid readings is drawn (a fall) or refilled (a rise), on the UTC day of the later reading; invalid readings are skipped, not zero. ` +
  `Days to empty: the net drain over the last ${DRAIN_WINDOW_DAYS} days, (first valid volume - last) / days between them; daysToEmpty = last volume / drain; ` +
  `null when fewer than ${MIN_DRAIN_READINGS} valid readings or spanning under ${MIN_DRAIN_SPAN_HOURS} h (too thin), or when filling or flat (basis.reason says which). ` +
  `Flow meters with a totaliser (field alias ${TOTALISER_ALIASES.join(', ')}): the sum of its rises; a drop below ${TOTALISER_RESET_FRACTION * 100} % of the previous value is a reset (the new value is the flow since) and other drops count nowhere. ` +
  `Without one: flow_rate integrated by the trapezoid rule (in config.flow.rateUnit, default ${DEFAULT_FLOW_RATE_UNIT}), nothing across gaps over ${MAX_GAP_INTERVALS} expected intervals. ` +
  `Completeness: readings stored that day / (86400 / expectedIntervalS), today up to now.`;

const nodeDoc: RouteDoc = {
  summary: "A node's daily consumption, days to empty and data completeness",
  description: `One entry per UTC day for \`days\` days (1-366, default 30) ending today, oldest first, from the stored readings. ${METHOD}`,
  tag: 'stats',
  auth: ALL_ROLES,
  params: uuidParam,
  query: statsQuery,
  responses: { 200: { description: 'The per-day statistics', schema: dataOf(nodeStatsSchema) } },
  errors: { 404: 'NODE_NOT_FOUND' },
};

const fleetDoc: RouteDoc = {
  summary: 'Fleet counts, the share reporting in the last hour and the lowest tanks',
  description:
    `Over the nodes in the caller's scope: counts by status and category, how many recorded a reading in the last hour, and the tanks below ${LOW_TANK_PCT} % ` +
    `(current level) lowest first, at most \`lowTanksLimit\` (1-100, default 20; lowTanks.total counts them all), each with its days to empty as /nodes/{id}/stats computes it.`,
  tag: 'stats',
  auth: ALL_ROLES,
  query: fleetQuery,
  responses: { 200: { description: 'The fleet statistics', schema: dataOf(fleetSchema) } },
};

export function statsRoutes(core: Core): Router {
  const router = Router();

  router.get('/nodes/:id/stats', apiDoc(nodeDoc), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const { days } = parse(statsQuery, req.query, 'query');
    const node = await core.repos.nodes.get(authOf(req).scope, id);
    if (!node) throw new NotFoundError(`Node ${id} was not found`, 'NODE_NOT_FOUND');
    res.json({ data: await loadNodeStats(core.repos.nodeStats, node, { days, nowMs: Date.now() }) });
  });

  router.get('/stats/fleet', apiDoc(fleetDoc), async (req, res) => {
    const { lowTanksLimit } = parse(fleetQuery, req.query, 'query');
    const deps = { nodes: core.repos.nodes, fleet: core.repos.fleetStats, nodeStats: core.repos.nodeStats };
    res.json({ data: await fleetStats(deps, { scope: authOf(req).scope, lowTanksLimit, nowMs: Date.now() }) });
  });

  return router;
}

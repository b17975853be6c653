import { Router, type Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../../shared/errors';
import { ALERT_KINDS, ALERT_SEVERITIES, ALERT_STATUSES, type Alert } from '../../shared/alerts/alert';
import { decodeAlertCursor, type AlertListFilter } from '../../shared/alerts/alerts.repository';
import { actOnAlert, alertWithAudit, type AlertAction, type AlertActionDeps } from '../../shared/alerts/alert-actions';
import { actorOf, authOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { cursorPageOf, dataOf } from '../openapi/envelopes';
import { alertListItemSchema, alertSchema, alertSummarySchema, alertWithAuditSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { uuidParam } from './pagination';

/** "open,acknowledged" -> ['open', 'acknowledged'], each checked against the allowed values. */
const csvOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1))
    .meta({ description: `Comma-separated, any of: ${values.join(', ')}` });

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

/** The list's filters; alerts.csv (exports.routes.ts) takes the same. */
const filterFields = {
  status: csvOf(ALERT_STATUSES).optional(),
  severity: csvOf(ALERT_SEVERITIES).optional(),
  kind: csvOf(ALERT_KINDS).optional(),
  nodeId: z.string().uuid().optional(),
  communityId: z.string().uuid().optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
};

const listQuery = z
  .object({
    ...filterFields,
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const alertFilterQuery = z.object(filterFields).strict();

/** The repository filter of a parsed query; 400 when from is not before to. */
export function alertFilterOf(q: z.infer<typeof alertFilterQuery>): AlertListFilter {
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  if (from && to && from >= to) throw new ValidationError('Invalid query: query.from: must be earlier than query.to');
  return { status: q.status, severity: q.severity, kind: q.kind, nodeId: q.nodeId, communityId: q.communityId, from, to };
}

const summaryQuery = z.object({ nodeId: z.string().uuid().optional(), communityId: z.string().uuid().optional() }).strict();
const acknowledgeBody = z.object({ comment: z.string().trim().min(1).max(1000).optional() }).strict();
const resolveBody = z.object({ comment: z.string().trim().min(1, 'is required: say why the alert is resolved').max(1000) }).strict();


const DOCS = {
  list: {
    summary: 'List alerts in scope, newest first',
    description: 'Keyset paged: pass page.nextCursor as `cursor`.',
    auth: ALL_ROLES,
    query: listQuery,
    responses: { 200: { description: 'A page of alerts', schema: cursorPageOf(alertListItemSchema) } },
  },
  summary: { summary: 'Unresolved alerts by severity and status', auth: ALL_ROLES, query: summaryQuery, responses: { 200: { description: 'The counts', schema: dataOf(alertSummarySchema) } } },
  get: { summary: 'An alert with its audit trail', auth: ALL_ROLES, params: uuidParam, responses: { 200: { description: 'The alert', schema: dataOf(alertWithAuditSchema) } }, errors: { 404: 'ALERT_NOT_FOUND' } },
  acknowledge: {
    summary: 'Acknowledge an alert',
    description: 'Audited, and notified when the opening was.',
    auth: ALL_ROLES,
    params: uuidParam,
    body: acknowledgeBody,
    bodyOptional: true,
    responses: { 200: { description: 'The alert after the change', schema: dataOf(alertSchema) } },
    errors: { 404: 'ALERT_NOT_FOUND', 409: 'ALERT_ACKNOWLEDGED or ALERT_RESOLVED: already done' },
  },
  resolve: {
    summary: 'Resolve an alert, saying why',
    description: 'offline and access_lost alerts resolve themselves when the condition ends: acknowledge them instead.',
    auth: ALL_ROLES,
    params: uuidParam,
    body: resolveBody,
    responses: { 200: { description: 'The alert after the change', schema: dataOf(alertSchema) } },
    errors: { 404: 'ALERT_NOT_FOUND', 409: 'ALERT_RESOLVED (already done) or ALERT_SELF_RESOLVING (an offline / access_lost alert)' },
  },
} satisfies Record<string, RouteDoc>;

/**
 * Alerts: list with filters, summary counts, one alert with its audit trail, acknowledge and
 * resolve (alert-actions.ts: the change, its audit entry and its notification are one transaction).
 */
export function alertsRoutes(deps: AlertActionDeps): Router {
  const router = Router();
  const { alerts } = deps;

  router.get('/alerts', apiDoc(DOCS.list), async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const filter = alertFilterOf(q);
    const before = q.cursor ? decodeAlertCursor(q.cursor) : undefined;
    if (q.cursor && !before) throw new ValidationError('Invalid query: query.cursor: is not a cursor this API returned');
    const page = await alerts.list(authOf(req).scope, filter, { limit: q.limit, before });
    res.json({ data: page.items, page: { limit: q.limit, nextCursor: page.nextCursor } });
  });

  router.get('/alerts/summary', apiDoc(DOCS.summary), async (req, res) => {
    const q = parse(summaryQuery, req.query, 'query');
    res.json({ data: await alerts.summary(authOf(req).scope, q) });
  });

  router.get('/alerts/:id', apiDoc(DOCS.get), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    res.json({ data: await alertWithAudit(deps, authOf(req).scope, id) });
  });

  async function act(req: Request, action: AlertAction, comment: string | undefined): Promise<Alert> {
    const auth = authOf(req);
    const { id } = parse(uuidParam, req.params, 'path');
    const updated = await actOnAlert(deps, { scope: auth.scope, actor: actorOf(auth), id, action, comment }, req.log);
    req.log.info({ alertId: id, action }, `alert ${action}d`);
    return updated;
  }

  router.post('/alerts/:id/acknowledge', apiDoc(DOCS.acknowledge), async (req, res) => {
    const body = parse(acknowledgeBody, req.body ?? {}, 'body');
    res.json({ data: await act(req, 'acknowledge', body.comment) });
  });

  router.post('/alerts/:id/resolve', apiDoc(DOCS.resolve), async (req, res) => {
    const body = parse(resolveBody, req.body ?? {}, 'body');
    res.json({ data: await act(req, 'resolve', body.comment) });
  });

  return router;
}

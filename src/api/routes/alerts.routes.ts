import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/errors';
import { ALERT_KINDS, ALERT_SEVERITIES, ALERT_STATUSES, type Alert } from '../../shared/alerts/alert';
import { decodeAlertCursor } from '../../shared/alerts/alerts.repository';
import { AlertEffects } from '../../shared/alerts/alert-effects';
import { loadAlertNode } from '../../shared/alerts/alert-node';
import { auditTrail, recordAudit } from '../../shared/audit/audit-log.repository';
import { authOf, type AuthContext } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { cursorPageOf, dataOf } from '../openapi/envelopes';
import { alertSchema, alertSummarySchema, alertWithAuditSchema } from '../openapi/resource-schemas';
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

const listQuery = z
  .object({
    status: csvOf(ALERT_STATUSES).optional(),
    severity: csvOf(ALERT_SEVERITIES).optional(),
    kind: csvOf(ALERT_KINDS).optional(),
    nodeId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const summaryQuery = z.object({ nodeId: z.string().uuid().optional(), communityId: z.string().uuid().optional() }).strict();
const acknowledgeBody = z.object({ comment: z.string().trim().min(1).max(1000).optional() }).strict();
const resolveBody = z.object({ comment: z.string().trim().min(1, 'is required: say why the alert is resolved').max(1000) }).strict();


const DOCS = {
  list: {
    summary: 'List alerts in scope, newest first',
    description: 'Keyset paged: pass page.nextCursor as `cursor`.',
    auth: ALL_ROLES,
    query: listQuery,
    responses: { 200: { description: 'A page of alerts', schema: cursorPageOf(alertSchema) } },
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

/** Built-in conditions that end by themselves; a user's resolve would only be re-opened by the next sweep. */
const SELF_RESOLVING = new Set(['offline', 'access_lost']);

const actorOf = (auth: AuthContext) => ({ keyId: auth.key.id, label: `${auth.key.label} (${auth.key.prefix})` });

/**
 * Alerts: list with filters, summary counts, one alert with its audit trail, acknowledge and
 * resolve. A user action, its audit entry and its notification are one transaction.
 */
export function alertsRoutes(core: Core): Router {
  const router = Router();
  const { alerts } = core.repos;

  router.get('/alerts', apiDoc(DOCS.list), async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to && from >= to) throw new ValidationError('Invalid query: query.from: must be earlier than query.to');
    const before = q.cursor ? decodeAlertCursor(q.cursor) : undefined;
    if (q.cursor && !before) throw new ValidationError('Invalid query: query.cursor: is not a cursor this API returned');
    const page = await alerts.list(
      authOf(req).scope,
      { status: q.status, severity: q.severity, kind: q.kind, nodeId: q.nodeId, communityId: q.communityId, from, to },
      { limit: q.limit, before },
    );
    res.json({ data: page.items, page: { limit: q.limit, nextCursor: page.nextCursor } });
  });

  router.get('/alerts/summary', apiDoc(DOCS.summary), async (req, res) => {
    const q = parse(summaryQuery, req.query, 'query');
    res.json({ data: await alerts.summary(authOf(req).scope, q) });
  });

  router.get('/alerts/:id', apiDoc(DOCS.get), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const alert = await alerts.get(authOf(req).scope, id);
    if (!alert) throw new NotFoundError(`Alert ${id} was not found`, 'ALERT_NOT_FOUND');
    res.json({ data: { ...alert, audit: await auditTrail(core.db, 'alert', id) } });
  });

  async function act(req: Request, action: 'acknowledge' | 'resolve', comment: string | undefined): Promise<Alert> {
    const auth = authOf(req);
    const { id } = parse(uuidParam, req.params, 'path');
    const effects = new AlertEffects();
    const actor = actorOf(auth);
    const seen = await alerts.get(auth.scope, id);
    if (!seen) throw new NotFoundError(`Alert ${id} was not found`, 'ALERT_NOT_FOUND');
    if (action === 'resolve' && SELF_RESOLVING.has(seen.kind)) {
      throw new ConflictError(
        `A "${seen.kind}" alert resolves itself when the ${seen.kind === 'offline' ? 'node sends data again' : 'channel can be read again'}; acknowledge it instead (or deactivate the node)`,
        'ALERT_SELF_RESOLVING',
      );
    }
    const updated = await core.db.transaction(async (trx) => {
      // Same lock order as the alert engine (condition state, then alert), so the two never deadlock.
      await trx('alert_condition_state').where({ node_id: seen.nodeId, condition_key: seen.conditionKey }).forUpdate().first('node_id');
      const alert = await alerts.getForUpdate(trx, auth.scope, id);
      if (!alert) throw new NotFoundError(`Alert ${id} was not found`, 'ALERT_NOT_FOUND');
      if (alert.status === 'resolved') throw new ConflictError(`Alert ${id} is already resolved (by ${alert.resolvedBy ?? 'unknown'})`, 'ALERT_RESOLVED');
      if (action === 'acknowledge' && alert.status === 'acknowledged') {
        throw new ConflictError(`Alert ${id} is already acknowledged (by ${alert.acknowledgedBy ?? 'unknown'})`, 'ALERT_ACKNOWLEDGED');
      }
      const now = new Date();
      const next = action === 'acknowledge' ? await alerts.acknowledge(trx, id, actor.label, now) : await alerts.resolveById(trx, id, actor.label, comment!, now);
      if (action === 'resolve') {
        // If the condition still holds, it must hold for its duration again before a new alert.
        await trx('alert_condition_state').where({ node_id: alert.nodeId, condition_key: alert.conditionKey }).update({ phase: 'normal', since: null });
      }
      await recordAudit(trx, { actor, action: `alert.${action}`, resourceType: 'alert', resourceId: id, communityId: alert.communityId, details: comment ? { comment } : {}, at: now });
      const node = await loadAlertNode(trx, alert.nodeId);
      // People hear about an acknowledge or resolve only of an alert they were told about.
      if (node) await effects.record(trx, action === 'acknowledge' ? 'acknowledged' : 'resolved', next, node, { notify: next.notified, at: now });
      return next;
    });
    await effects.flush({ db: core.db, producers: core.producers, events: core.events, log: req.log });
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

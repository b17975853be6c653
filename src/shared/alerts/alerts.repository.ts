import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { whereCommunityInScope, type Scope } from '../auth/scope';
import type { Alert, AlertKind, AlertSeverity, AlertStatus } from './alert';

export interface OpenAlertInput {
  nodeId: string;
  communityId: string;
  ruleId: string | null;
  conditionKey: string;
  kind: AlertKind;
  severity: AlertSeverity;
  title: string;
  message: string;
  metric: string | null;
  value: number | null;
  threshold: number | null;
  triggeredAt: Date;
  catchUp: boolean;
}

export interface AlertListFilter {
  status?: AlertStatus[];
  severity?: AlertSeverity[];
  kind?: AlertKind[];
  nodeId?: string;
  communityId?: string;
  from?: Date;
  to?: Date;
}

type Conn = Knex | Knex.Transaction;

export function toAlert(r: Record<string, unknown>): Alert {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: r.id as string,
    nodeId: r.node_id as string,
    communityId: r.community_id as string,
    ruleId: (r.rule_id as string | null) ?? null,
    conditionKey: r.condition_key as string,
    kind: r.kind as AlertKind,
    severity: r.severity as AlertSeverity,
    status: r.status as AlertStatus,
    title: r.title as string,
    message: r.message as string,
    metric: (r.metric as string | null) ?? null,
    value: num(r.value),
    threshold: num(r.threshold),
    triggeredAt: r.triggered_at as Date,
    openedAt: r.opened_at as Date,
    catchUp: r.catch_up as boolean,
    notified: r.notified as boolean,
    acknowledgedAt: (r.acknowledged_at as Date | null) ?? null,
    acknowledgedBy: (r.acknowledged_by as string | null) ?? null,
    resolvedAt: (r.resolved_at as Date | null) ?? null,
    resolvedBy: (r.resolved_by as string | null) ?? null,
    resolveComment: (r.resolve_comment as string | null) ?? null,
    resolvedValue: num(r.resolved_value),
  };
}

/**
 * The alerts table. Opening relies on the partial unique index (one unresolved alert per node and
 * condition): a second concurrent open inserts nothing and returns undefined.
 */
export function createAlertsRepository(db: Db) {
  function scoped(conn: Conn, scope: Scope): Knex.QueryBuilder {
    return whereCommunityInScope(conn('alerts'), scope, 'alerts.community_id');
  }

  function applyFilter(q: Knex.QueryBuilder, f: AlertListFilter): Knex.QueryBuilder {
    if (f.status?.length) q.whereIn('alerts.status', f.status);
    if (f.severity?.length) q.whereIn('alerts.severity', f.severity);
    if (f.kind?.length) q.whereIn('alerts.kind', f.kind);
    if (f.nodeId) q.where('alerts.node_id', f.nodeId);
    if (f.communityId) q.where('alerts.community_id', f.communityId);
    if (f.from) q.where('alerts.triggered_at', '>=', f.from);
    if (f.to) q.where('alerts.triggered_at', '<', f.to);
    return q;
  }

  return {
    async open(trx: Conn, a: OpenAlertInput): Promise<Alert | undefined> {
      const result = await trx.raw(
        `INSERT INTO alerts (node_id, community_id, rule_id, condition_key, kind, severity, title, message, metric, value, threshold, triggered_at, catch_up)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (node_id, condition_key) WHERE status <> 'resolved' DO NOTHING
         RETURNING *`,
        [a.nodeId, a.communityId, a.ruleId, a.conditionKey, a.kind, a.severity, a.title, a.message, a.metric, a.value, a.threshold, a.triggeredAt, a.catchUp],
      );
      const row = (result as { rows: Array<Record<string, unknown>> }).rows[0];
      return row ? toAlert(row) : undefined;
    },

    /** Resolves the unresolved alert of a node and condition, if there is one. */
    async resolveOpen(trx: Conn, nodeId: string, conditionKey: string, r: { at: Date; by: string; comment: string | null; value: number | null }): Promise<Alert | undefined> {
      const rows = (await trx('alerts')
        .where({ node_id: nodeId, condition_key: conditionKey })
        .whereNot('status', 'resolved')
        .update({ status: 'resolved', resolved_at: r.at, resolved_by: r.by, resolve_comment: r.comment, resolved_value: r.value })
        .returning('*')) as Array<Record<string, unknown>>;
      return rows[0] ? toAlert(rows[0]) : undefined;
    },

    async markNotified(trx: Conn, id: string): Promise<void> {
      await trx('alerts').where({ id }).update({ notified: true });
    },

    /** Resolves every unresolved alert of a condition (a rule disabled or deleted), on all nodes. */
    async resolveAllOf(trx: Conn, conditionKey: string, r: { at: Date; by: string; comment: string }): Promise<Alert[]> {
      const rows = (await trx('alerts')
        .where({ condition_key: conditionKey })
        .whereNot('status', 'resolved')
        .update({ status: 'resolved', resolved_at: r.at, resolved_by: r.by, resolve_comment: r.comment })
        .returning('*')) as Array<Record<string, unknown>>;
      return rows.map(toAlert);
    },

    async get(scope: Scope, id: string, conn: Conn = db): Promise<Alert | undefined> {
      const row = await scoped(conn, scope).where('alerts.id', id).first('alerts.*');
      return row ? toAlert(row) : undefined;
    },

    /** Locks the alert for a user action (acknowledge, resolve) within the caller's transaction. */
    async getForUpdate(trx: Knex.Transaction, scope: Scope, id: string): Promise<Alert | undefined> {
      const row = await scoped(trx, scope).where('alerts.id', id).forUpdate().first('alerts.*');
      return row ? toAlert(row) : undefined;
    },

    async acknowledge(trx: Knex.Transaction, id: string, by: string, at: Date): Promise<Alert> {
      const [row] = (await trx('alerts').where({ id }).update({ status: 'acknowledged', acknowledged_at: at, acknowledged_by: by }).returning('*')) as Array<Record<string, unknown>>;
      return toAlert(row!);
    },

    async resolveById(trx: Knex.Transaction, id: string, by: string, comment: string, at: Date): Promise<Alert> {
      const [row] = (await trx('alerts').where({ id }).update({ status: 'resolved', resolved_at: at, resolved_by: by, resolve_comment: comment }).returning('*')) as Array<Record<string, unknown>>;
      return toAlert(row!);
    },

    /** Newest first by trigger time; keyset pagination on (triggered_at, id). */
    async list(scope: Scope, filter: AlertListFilter, page: { limit: number; before?: { at: Date; id: string } }): Promise<{ items: Alert[]; nextCursor: string | null }> {
      const q = applyFilter(scoped(db, scope), filter);
      if (page.before) {
        const { at, id } = page.before;
        q.where((w) => w.where('alerts.triggered_at', '<', at).orWhere((x) => x.where('alerts.triggered_at', at).andWhere('alerts.id', '<', id)));
      }
      const rows = (await q.select('alerts.*').orderBy([{ column: 'alerts.triggered_at', order: 'desc' }, { column: 'alerts.id', order: 'desc' }]).limit(page.limit + 1)) as Array<Record<string, unknown>>;
      const items = rows.slice(0, page.limit).map(toAlert);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > page.limit && last ? encodeAlertCursor(last.triggeredAt, last.id) : null };
    },

    /** Unresolved alerts counted by severity and status (what a dashboard badge shows). */
    async summary(scope: Scope, filter: Pick<AlertListFilter, 'nodeId' | 'communityId'>) {
      const rows = (await applyFilter(scoped(db, scope), filter)
        .whereNot('alerts.status', 'resolved')
        .select('alerts.severity', 'alerts.status')
        .count<{ severity: AlertSeverity; status: AlertStatus; count: string }[]>('* as count')
        .groupBy('alerts.severity', 'alerts.status')) as Array<{ severity: AlertSeverity; status: AlertStatus; count: string }>;
      const bySeverity = { critical: 0, warning: 0, info: 0 };
      const byStatus = { open: 0, acknowledged: 0 };
      for (const r of rows) {
        bySeverity[r.severity] += Number(r.count);
        if (r.status !== 'resolved') byStatus[r.status] += Number(r.count);
      }
      return { unresolved: byStatus.open + byStatus.acknowledged, bySeverity, byStatus };
    },
  };
}

export type AlertsRepository = ReturnType<typeof createAlertsRepository>;

export function encodeAlertCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeAlertCursor(cursor: string): { at: Date; id: string } | undefined {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return { at: date, id };
  } catch {
    return undefined;
  }
}

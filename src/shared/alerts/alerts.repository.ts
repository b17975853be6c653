import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { withCursor, type CursorStreamOptions } from '../db/cursor-stream';
import type { Conn, Tx } from '../db/transaction';
import type { Scope } from '../auth/scope';
import { whereCommunityInScope } from '../db/scope-filter';
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

/** An `alerts` row as Postgres returns it. */
export interface AlertRow {
  id: string;
  node_id: string;
  community_id: string;
  rule_id: string | null;
  condition_key: string;
  kind: AlertKind;
  severity: AlertSeverity;
  status: AlertStatus;
  title: string;
  message: string;
  metric: string | null;
  value: number | null;
  threshold: number | null;
  triggered_at: Date;
  opened_at: Date;
  catch_up: boolean;
  notified: boolean;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolve_comment: string | null;
  resolved_value: number | null;
}

/** An alert as a list shows it: with its node's label, so a client need not look the node up. */
export type AlertListItem = Alert & { nodeLabel: string };

export function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    nodeId: r.node_id,
    communityId: r.community_id,
    ruleId: r.rule_id,
    conditionKey: r.condition_key,
    kind: r.kind,
    severity: r.severity,
    status: r.status,
    title: r.title,
    message: r.message,
    metric: r.metric,
    value: r.value,
    threshold: r.threshold,
    triggeredAt: r.triggered_at,
    openedAt: r.opened_at,
    catchUp: r.catch_up,
    notified: r.notified,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    resolveComment: r.resolve_comment,
    resolvedValue: r.resolved_value,
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
      const result: { rows: AlertRow[] } = await trx.raw(
        `INSERT INTO alerts (node_id, community_id, rule_id, condition_key, kind, severity, title, message, metric, value, threshold, triggered_at, catch_up)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (node_id, condition_key) WHERE status <> 'resolved' DO NOTHING
         RETURNING *`,
        [a.nodeId, a.communityId, a.ruleId, a.conditionKey, a.kind, a.severity, a.title, a.message, a.metric, a.value, a.threshold, a.triggeredAt, a.catchUp],
      );
      const row = result.rows[0];
      return row ? toAlert(row) : undefined;
    },

    /** Resolves the unresolved alert of a node and condition, if there is one. */
    async resolveOpen(trx: Conn, nodeId: string, conditionKey: string, r: { at: Date; by: string; comment: string | null; value: number | null }): Promise<Alert | undefined> {
      const rows: AlertRow[] = await trx('alerts')
        .where({ node_id: nodeId, condition_key: conditionKey })
        .whereNot('status', 'resolved')
        .update({ status: 'resolved', resolved_at: r.at, resolved_by: r.by, resolve_comment: r.comment, resolved_value: r.value })
        .returning('*');
      return rows[0] ? toAlert(rows[0]) : undefined;
    },

    async markNotified(trx: Conn, id: string): Promise<void> {
      await trx('alerts').where({ id }).update({ notified: true });
    },

    /** Resolves every unresolved alert of a condition (a rule disabled or deleted), on all nodes. */
    async resolveAllOf(trx: Conn, conditionKey: string, r: { at: Date; by: string; comment: string }): Promise<Alert[]> {
      const rows: AlertRow[] = await trx('alerts')
        .where({ condition_key: conditionKey })
        .whereNot('status', 'resolved')
        .update({ status: 'resolved', resolved_at: r.at, resolved_by: r.by, resolve_comment: r.comment })
        .returning('*');
      return rows.map(toAlert);
    },

    async get(scope: Scope, id: string, conn: Conn = db): Promise<Alert | undefined> {
      const row: AlertRow | undefined = await scoped(conn, scope).where('alerts.id', id).first('alerts.*');
      return row ? toAlert(row) : undefined;
    },

    /** Locks the alert for a user action (acknowledge, resolve) within the caller's transaction. */
    async getForUpdate(trx: Tx, scope: Scope, id: string): Promise<Alert | undefined> {
      const row: AlertRow | undefined = await scoped(trx, scope).where('alerts.id', id).forUpdate().first('alerts.*');
      return row ? toAlert(row) : undefined;
    },

    async acknowledge(trx: Tx, id: string, by: string, at: Date): Promise<Alert> {
      const [row]: AlertRow[] = await trx('alerts').where({ id }).update({ status: 'acknowledged', acknowledged_at: at, acknowledged_by: by }).returning('*');
      return toAlert(row!);
    },

    async resolveById(trx: Tx, id: string, by: string, comment: string, at: Date): Promise<Alert> {
      const [row]: AlertRow[] = await trx('alerts').where({ id }).update({ status: 'resolved', resolved_at: at, resolved_by: by, resolve_comment: comment }).returning('*');
      return toAlert(row!);
    },

    /** Newest first by trigger time; keyset pagination on (triggered_at, id). Each carries its node's label (a list shows it). */
    async list(scope: Scope, filter: AlertListFilter, page: { limit: number; before?: { at: Date; id: string } }): Promise<{ items: AlertListItem[]; nextCursor: string | null }> {
      const q = applyFilter(scoped(db, scope), filter);
      if (page.before) {
        const { at, id } = page.before;
        q.where((w) => w.where('alerts.triggered_at', '<', at).orWhere((x) => x.where('alerts.triggered_at', at).andWhere('alerts.id', '<', id)));
      }
      const rows: Array<AlertRow & { node_label: string }> = await q
        .join('nodes', 'nodes.id', 'alerts.node_id')
        .select('alerts.*', 'nodes.label as node_label')
        .orderBy([{ column: 'alerts.triggered_at', order: 'desc' }, { column: 'alerts.id', order: 'desc' }])
        .limit(page.limit + 1);
      const items = rows.slice(0, page.limit).map((r): AlertListItem => ({ ...toAlert(r), nodeLabel: r.node_label }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > page.limit && last ? encodeAlertCursor(last.triggeredAt, last.id) : null };
    },

    /**
     * Every alert the list would show for this filter, in its order (newest first), streamed from a
     * server-side cursor: rows are AlertRow plus node_label, handed to `consume` as a Readable.
     */
    async stream<T>(scope: Scope, filter: AlertListFilter, opts: CursorStreamOptions, consume: (rows: Readable) => Promise<T>): Promise<T> {
      const q = applyFilter(scoped(db, scope), filter)
        .join('nodes', 'nodes.id', 'alerts.node_id')
        .select('alerts.*', 'nodes.label as node_label')
        .orderBy([{ column: 'alerts.triggered_at', order: 'desc' }, { column: 'alerts.id', order: 'desc' }]);
      return withCursor(db, q.toSQL().toNative(), opts, consume);
    },

    /** Unresolved alerts counted by severity and status (what a dashboard badge shows). */
    async summary(scope: Scope, filter: Pick<AlertListFilter, 'nodeId' | 'communityId'>) {
      const rows: Array<Pick<AlertRow, 'severity' | 'status'> & { count: string }> = await applyFilter(scoped(db, scope), filter)
        .whereNot('alerts.status', 'resolved')
        .select('alerts.severity', 'alerts.status')
        .count('* as count')
        .groupBy('alerts.severity', 'alerts.status');
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

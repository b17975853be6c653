import type { Conn, Tx } from '../db/transaction';
import type { Db } from '../db/knex';
import type { Scope } from '../auth/scope';
import { whereCommunityInScope } from '../db/scope-filter';
import { creatorColumns, creatorOfRow, type CreatorColumns, type Principal } from '../tenancy/principal';
import type { AlertRule, AlertSeverity, CreateRuleInput, UpdateRuleInput } from './alert';

/** A rule and who created it: the API shows the creator and changes check it (tenancy/change-permission.ts). */
export type OwnedAlertRule = AlertRule & { createdBy: Principal };

/** An `alert_rules` row as Postgres returns it. */
interface AlertRuleRow extends CreatorColumns {
  id: string;
  community_id: string;
  node_id: string | null;
  /** No CHECK constraint in the table; the API only writes node categories. */
  category: string | null;
  name: string;
  metric: string;
  operator: AlertRule['operator'];
  threshold: number;
  clear_threshold: number | null;
  for_seconds: number;
  severity: AlertSeverity;
  cooldown_seconds: number;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

function toRule(r: AlertRuleRow): OwnedAlertRule {
  return {
    id: r.id,
    communityId: r.community_id,
    nodeId: r.node_id,
    category: r.category,
    name: r.name,
    metric: r.metric,
    operator: r.operator,
    threshold: r.threshold,
    clearThreshold: r.clear_threshold,
    forSeconds: r.for_seconds,
    severity: r.severity,
    cooldownSeconds: r.cooldown_seconds,
    enabled: r.enabled,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: creatorOfRow(r),
  };
}

export interface RuleListFilter {
  nodeId?: string;
  communityId?: string;
  category?: string;
  enabled?: boolean;
}

export function createAlertRulesRepository(db: Db) {
  const scoped = (conn: Conn, scope: Scope) => whereCommunityInScope(conn('alert_rules'), scope, 'alert_rules.community_id');

  return {
    /** Without `createdBy` (seeds, tests) the row counts as a superadmin's: no tenant can change it. */
    async create(input: CreateRuleInput, communityId: string, createdBy?: Principal, conn: Conn = db): Promise<OwnedAlertRule> {
      const [row]: AlertRuleRow[] = await conn('alert_rules')
        .insert({
          ...(createdBy ? creatorColumns(createdBy) : {}),
          community_id: communityId,
          node_id: input.nodeId ?? null,
          category: input.nodeId ? null : (input.category ?? null),
          name: input.name,
          metric: input.metric,
          operator: input.operator,
          threshold: input.threshold,
          clear_threshold: input.clearThreshold ?? null,
          for_seconds: input.forSeconds,
          severity: input.severity,
          cooldown_seconds: input.cooldownSeconds,
          enabled: input.enabled,
        })
        .returning('*');
      return toRule(row!);
    },

    /** Every rule of the community, enabled or not: what the per-community cap counts. */
    async countInCommunity(conn: Conn, communityId: string): Promise<number> {
      const [row] = await conn('alert_rules').where({ community_id: communityId }).count<{ count: string }[]>('id as count');
      return Number(row?.count ?? 0);
    },

    async get(scope: Scope, id: string): Promise<OwnedAlertRule | undefined> {
      const row: AlertRuleRow | undefined = await scoped(db, scope).where('alert_rules.id', id).first('alert_rules.*');
      return row ? toRule(row) : undefined;
    },

    async list(scope: Scope, f: RuleListFilter, page: { limit: number; offset: number }): Promise<{ items: OwnedAlertRule[]; total: number }> {
      const q = scoped(db, scope);
      if (f.nodeId) q.where('alert_rules.node_id', f.nodeId);
      if (f.communityId) q.where('alert_rules.community_id', f.communityId);
      if (f.category) q.where('alert_rules.category', f.category);
      if (f.enabled !== undefined) q.where('alert_rules.enabled', f.enabled);
      const [rows, count]: [AlertRuleRow[], Array<{ count: string }>] = await Promise.all([
        q.clone().select('alert_rules.*').orderBy([{ column: 'alert_rules.created_at' }, { column: 'alert_rules.id' }]).limit(page.limit).offset(page.offset),
        q.clone().count<{ count: string }[]>('alert_rules.id as count'),
      ]);
      return { items: rows.map(toRule), total: Number(count[0]?.count ?? 0) };
    },

    /**
     * Applies a change; `check` sees the rule as it would be and may refuse it (nothing is written).
     * In the caller's transaction; `previous` is the rule before the change.
     */
    async update(
      trx: Tx,
      scope: Scope,
      id: string,
      input: UpdateRuleInput,
      check: (merged: AlertRule) => string | undefined,
    ): Promise<{ rule: OwnedAlertRule; previous: OwnedAlertRule } | undefined | { problem: string }> {
      {
        // FOR NO KEY UPDATE: does not block an evaluation inserting an alert that references the rule.
        const row: AlertRuleRow | undefined = await scoped(trx, scope).where('alert_rules.id', id).forNoKeyUpdate().first('alert_rules.*');
        if (!row) return undefined;
        const current = toRule(row);
        const merged: OwnedAlertRule = { ...current, ...input, clearThreshold: input.clearThreshold === undefined ? current.clearThreshold : input.clearThreshold };
        const problem = check(merged);
        if (problem) return { problem };
        const [updated]: AlertRuleRow[] = await trx('alert_rules')
          .where({ id })
          .update({
            name: merged.name,
            metric: merged.metric,
            operator: merged.operator,
            threshold: merged.threshold,
            clear_threshold: merged.clearThreshold,
            for_seconds: merged.forSeconds,
            severity: merged.severity,
            cooldown_seconds: merged.cooldownSeconds,
            enabled: merged.enabled,
            updated_at: trx.fn.now(),
          })
          .returning('*');
        // A changed condition starts afresh, except where it has an unresolved alert: that one stays
        // "firing" so the new clear condition can still resolve it.
        await trx('alert_condition_state')
          .where({ condition_key: id })
          .update({
            phase: trx.raw(`CASE WHEN EXISTS (SELECT 1 FROM alerts a WHERE a.node_id = alert_condition_state.node_id AND a.condition_key = alert_condition_state.condition_key AND a.status <> 'resolved') THEN 'firing' ELSE 'normal' END`),
            since: trx.raw(`CASE WHEN EXISTS (SELECT 1 FROM alerts a WHERE a.node_id = alert_condition_state.node_id AND a.condition_key = alert_condition_state.condition_key AND a.status <> 'resolved') THEN COALESCE(since, now()) ELSE NULL END`),
          });
        return { rule: toRule(updated!), previous: current };
      }
    },

    /** The rule if it is in scope, read in the caller's transaction. */
    async getInScope(trx: Tx, scope: Scope, id: string): Promise<OwnedAlertRule | undefined> {
      const row: AlertRuleRow | undefined = await scoped(trx, scope).where('alert_rules.id', id).first('alert_rules.*');
      return row ? toRule(row) : undefined;
    },

    /** Deletes the rule and its conditions' state (its alerts keep a null rule id). */
    async delete(trx: Tx, id: string): Promise<void> {
      await trx('alert_condition_state').where({ condition_key: id }).delete();
      await trx('alert_rules').where({ id }).delete();
    },

    /** Enabled rules that apply to a node: its own, and those on its category in its community. */
    async enabledFor(conn: Conn, node: { id: string; communityId: string; category: string }): Promise<AlertRule[]> {
      const rows: AlertRuleRow[] = await conn('alert_rules')
        .where('enabled', true)
        .where((w) => w.where('node_id', node.id).orWhere((c) => c.whereNull('node_id').where({ community_id: node.communityId, category: node.category })))
        .orderBy('id');
      return rows.map(toRule);
    },
  };
}

export type AlertRulesRepository = ReturnType<typeof createAlertRulesRepository>;

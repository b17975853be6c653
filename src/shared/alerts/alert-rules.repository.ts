import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { whereCommunityInScope, type Scope } from '../auth/scope';
import type { AlertRule, CreateRuleInput, UpdateRuleInput } from './alert';

type Conn = Knex | Knex.Transaction;

function toRule(r: Record<string, unknown>): AlertRule {
  return {
    id: r.id as string,
    communityId: r.community_id as string,
    nodeId: (r.node_id as string | null) ?? null,
    category: (r.category as string | null) ?? null,
    name: r.name as string,
    metric: r.metric as string,
    operator: r.operator as AlertRule['operator'],
    threshold: Number(r.threshold),
    clearThreshold: r.clear_threshold === null || r.clear_threshold === undefined ? null : Number(r.clear_threshold),
    forSeconds: r.for_seconds as number,
    severity: r.severity as AlertRule['severity'],
    cooldownSeconds: r.cooldown_seconds as number,
    enabled: r.enabled as boolean,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
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
    async create(input: CreateRuleInput, communityId: string): Promise<AlertRule> {
      const [row] = (await db('alert_rules')
        .insert({
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
        .returning('*')) as Array<Record<string, unknown>>;
      return toRule(row!);
    },

    async get(scope: Scope, id: string): Promise<AlertRule | undefined> {
      const row = await scoped(db, scope).where('alert_rules.id', id).first('alert_rules.*');
      return row ? toRule(row) : undefined;
    },

    async list(scope: Scope, f: RuleListFilter, page: { limit: number; offset: number }): Promise<{ items: AlertRule[]; total: number }> {
      const q = scoped(db, scope);
      if (f.nodeId) q.where('alert_rules.node_id', f.nodeId);
      if (f.communityId) q.where('alert_rules.community_id', f.communityId);
      if (f.category) q.where('alert_rules.category', f.category);
      if (f.enabled !== undefined) q.where('alert_rules.enabled', f.enabled);
      const [rows, count] = await Promise.all([
        q.clone().select('alert_rules.*').orderBy([{ column: 'alert_rules.created_at' }, { column: 'alert_rules.id' }]).limit(page.limit).offset(page.offset),
        q.clone().count<{ count: string }[]>('alert_rules.id as count'),
      ]);
      return { items: (rows as Array<Record<string, unknown>>).map(toRule), total: Number(count[0]?.count ?? 0) };
    },

    /**
     * Applies a change; `check` sees the rule as it would be and may refuse it (nothing is written).
     * `retire` runs in the same transaction when the rule is being disabled, to resolve its alerts.
     */
    async update(
      scope: Scope,
      id: string,
      input: UpdateRuleInput,
      check: (merged: AlertRule) => string | undefined,
      retire: (trx: Knex.Transaction, rule: AlertRule) => Promise<void>,
    ): Promise<AlertRule | undefined | { problem: string }> {
      return db.transaction(async (trx) => {
        // FOR NO KEY UPDATE: does not block an evaluation inserting an alert that references the rule.
        const row = await scoped(trx, scope).where('alert_rules.id', id).forNoKeyUpdate().first('alert_rules.*');
        if (!row) return undefined;
        const current = toRule(row);
        const merged: AlertRule = { ...current, ...input, clearThreshold: input.clearThreshold === undefined ? current.clearThreshold : input.clearThreshold };
        const problem = check(merged);
        if (problem) return { problem };
        const [updated] = (await trx('alert_rules')
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
          .returning('*')) as Array<Record<string, unknown>>;
        // A changed condition starts afresh, except where it has an unresolved alert: that one stays
        // "firing" so the new clear condition can still resolve it.
        await trx('alert_condition_state')
          .where({ condition_key: id })
          .update({
            phase: trx.raw(`CASE WHEN EXISTS (SELECT 1 FROM alerts a WHERE a.node_id = alert_condition_state.node_id AND a.condition_key = alert_condition_state.condition_key AND a.status <> 'resolved') THEN 'firing' ELSE 'normal' END`),
            since: trx.raw(`CASE WHEN EXISTS (SELECT 1 FROM alerts a WHERE a.node_id = alert_condition_state.node_id AND a.condition_key = alert_condition_state.condition_key AND a.status <> 'resolved') THEN COALESCE(since, now()) ELSE NULL END`),
          });
        const rule = toRule(updated!);
        if (current.enabled && !rule.enabled) await retire(trx, rule);
        return rule;
      });
    },

    /** Deletes the rule; `retire` resolves its unresolved alerts first, in the same transaction. */
    async delete(scope: Scope, id: string, retire: (trx: Knex.Transaction, rule: AlertRule) => Promise<void>): Promise<boolean> {
      return db.transaction(async (trx) => {
        const row = await scoped(trx, scope).where('alert_rules.id', id).first('alert_rules.*');
        if (!row) return false;
        await retire(trx, toRule(row));
        await trx('alert_condition_state').where({ condition_key: id }).delete();
        await trx('alert_rules').where({ id }).delete();
        return true;
      });
    },

    /** Enabled rules that apply to a node: its own, and those on its category in its community. */
    async enabledFor(conn: Conn, node: { id: string; communityId: string; category: string }): Promise<AlertRule[]> {
      const rows = (await conn('alert_rules')
        .where('enabled', true)
        .where((w) => w.where('node_id', node.id).orWhere((c) => c.whereNull('node_id').where({ community_id: node.communityId, category: node.category })))
        .orderBy('id')) as Array<Record<string, unknown>>;
      return rows.map(toRule);
    },
  };
}

export type AlertRulesRepository = ReturnType<typeof createAlertRulesRepository>;

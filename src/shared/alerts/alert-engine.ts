import type { Knex } from 'knex';
import { isOnline } from '../nodes/node-state';
import { evaluateRule, type RulePhase } from './alert-rules';
import { AlertEffects } from './alert-effects';
import type { AlertsRepository } from './alerts.repository';
import type { AlertRulesRepository } from './alert-rules.repository';
import { inMaintenance, type MaintenanceWindowsRepository, type MaintenanceWindow } from './maintenance-windows.repository';
import { loadAlertNode, type AlertNode } from './alert-node';
import { dataQualityConditions, OFFLINE_KEY, ruleCondition, type Condition } from './conditions';
import { sampleMetrics, type SampleMetrics, type StoredReading } from './sample-metrics';

export interface AlertEngineDeps {
  db: Knex;
  rules: AlertRulesRepository;
  alerts: AlertsRepository;
  maintenance: MaintenanceWindowsRepository;
  /** Alerts from data older than this page nobody. */
  catchUpAgeMs: number;
  dataQualityMs: number;
}

export interface EvaluationRequest {
  nodeId: string;
  nodeChannelId: string;
  epoch: number;
  fromEntryId: number;
  toEntryId: number;
}

export interface EvaluationResult {
  skipped?: string;
  conditions: number;
  samples: number;
  opened: number;
  resolved: number;
  suppressedByMaintenance: number;
  effects: AlertEffects;
}

type Watermarks = Record<string, { at: number; entryId: number }>;

interface ConditionState {
  condition_key: string;
  phase: RulePhase['phase'];
  since: Date | null;
  watermarks: Watermarks;
  last_notified_at: Date | null;
}

// Bounds the look-back used to re-evaluate readings an earlier, delayed job has not seen yet.
const LOOKBACK_MS = 24 * 3600_000;
const MAX_SAMPLES = 100_000;
// A reading dated further ahead than this comes from a wrong device clock: evaluating it would
// move the watermark into the future and hide every real reading after it.
const MAX_CLOCK_SKEW_MS = 10 * 60_000;

function toPhase(s: ConditionState): RulePhase {
  if (s.phase === 'normal' || !s.since) return { phase: 'normal' };
  return { phase: s.phase, since: s.since.getTime() };
}

/** Inserts missing state rows, then locks all of them in key order (no deadlock between workers). */
async function lockStates(trx: Knex.Transaction, nodeId: string, keys: string[]): Promise<Map<string, ConditionState>> {
  const sorted = [...keys].sort();
  await trx('alert_condition_state')
    .insert(sorted.map((condition_key) => ({ node_id: nodeId, condition_key })))
    .onConflict(['node_id', 'condition_key'])
    .ignore();
  const rows = (await trx('alert_condition_state').where({ node_id: nodeId }).whereIn('condition_key', sorted).orderBy('condition_key').forUpdate()) as ConditionState[];
  return new Map(rows.map((r) => [r.condition_key, r]));
}

/**
 * Evaluates a node's new readings against its rules and built-in data checks, in event-time order
 * (recorded time, then entry id), in one transaction that holds the conditions' state rows. Each
 * condition remembers the newest sample it evaluated (its watermark), so a retried or repeated
 * job, or a re-fetch, never evaluates a sample twice; concurrent jobs for one node queue on the
 * row locks, and the partial unique index on alerts is the last word on "one unresolved alert".
 */
export async function evaluateNewReadings(deps: AlertEngineDeps, req: EvaluationRequest, now = new Date()): Promise<EvaluationResult> {
  const effects = new AlertEffects();
  const result: EvaluationResult = { conditions: 0, samples: 0, opened: 0, resolved: 0, suppressedByMaintenance: 0, effects };
  const node = await loadAlertNode(deps.db, req.nodeId);
  if (!node) return { ...result, skipped: 'node no longer exists' };
  const channel = (await deps.db('node_channels').where({ id: req.nodeChannelId }).first('field_mapping')) as { field_mapping: Record<string, string> } | undefined;
  if (!channel) return { ...result, skipped: 'channel no longer exists' };
  const mapping = channel.field_mapping ?? {};

  const rules = await deps.rules.enabledFor(deps.db, { id: node.nodeId, communityId: node.communityId, category: node.category });
  const aliases = [...new Set(Object.entries(mapping).map(([field, alias]) => alias || field))];
  const conditions: Condition[] = [...rules.map(ruleCondition), ...dataQualityConditions(aliases, deps.dataQualityMs)];
  result.conditions = conditions.length;

  await deps.db.transaction(async (trx) => {
    const states = conditions.length > 0 ? await lockStates(trx, node.nodeId, conditions.map((c) => c.key)) : new Map<string, ConditionState>();
    const samples = await loadSamples(trx, req, states, now, mapping, node);
    result.samples = samples.length;
    if (samples.length === 0) return;
    const windows = await deps.maintenance.overlapping(trx, { id: node.nodeId, communityId: node.communityId }, new Date(samples[0]!.at), new Date(Math.max(samples[samples.length - 1]!.at, now.getTime())));

    for (const condition of conditions) {
      const state = states.get(condition.key);
      if (!state) continue;
      await evaluateCondition(deps, trx, { nodeChannelId: req.nodeChannelId, node, condition, state, samples, windows, now, effects, result });
    }
    await resolveOfflineIfBack(deps, trx, node, samples, now, effects, result);
  });
  return result;
}

async function loadSamples(
  trx: Knex.Transaction,
  req: EvaluationRequest,
  states: Map<string, ConditionState>,
  now: Date,
  mapping: Record<string, string>,
  node: AlertNode,
): Promise<SampleMetrics[]> {
  // The job's range, plus anything of this channel at or after the oldest watermark: if an earlier
  // job is still parked or retrying, this one evaluates its readings too, in order, instead of
  // skipping past them (the watermarks then make the earlier job a no-op).
  let oldest: number | undefined;
  for (const s of states.values()) {
    const at = s.watermarks[req.nodeChannelId]?.at;
    if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
  }
  const since = oldest === undefined ? undefined : Math.max(oldest, now.getTime() - LOOKBACK_MS);
  const rows = (await trx('readings')
    .where({ node_channel_id: req.nodeChannelId })
    .where('recorded_at', '<=', new Date(now.getTime() + MAX_CLOCK_SKEW_MS))
    .where((w) => {
      w.where((r) => r.where('epoch', req.epoch).whereBetween('entry_id', [req.fromEntryId, req.toEntryId]));
      if (since !== undefined) w.orWhere('recorded_at', '>=', new Date(since));
    })
    .orderBy([{ column: 'recorded_at' }, { column: 'epoch' }, { column: 'entry_id' }])
    .limit(MAX_SAMPLES)
    .select('entry_id', 'recorded_at', 'parsed')) as Array<{ entry_id: number; recorded_at: Date; parsed: StoredReading['parsed'] }>;
  return rows.map((r) => sampleMetrics({ entryId: r.entry_id, recordedAt: r.recorded_at, parsed: r.parsed ?? {} }, mapping, node));
}

interface ConditionRun {
  nodeChannelId: string;
  node: AlertNode;
  condition: Condition;
  state: ConditionState;
  samples: SampleMetrics[];
  windows: MaintenanceWindow[];
  now: Date;
  effects: AlertEffects;
  result: EvaluationResult;
}

async function evaluateCondition(deps: AlertEngineDeps, trx: Knex.Transaction, run: ConditionRun): Promise<void> {
  const { node, condition, state, samples, windows, now, effects, result, nodeChannelId } = run;
  let phase = toPhase(state);
  const mark = state.watermarks[nodeChannelId];
  let wmAt = mark?.at ?? null;
  let wmEntry = mark?.entryId ?? -1;
  // Maintenance counts at the reading's time and at evaluation time: a breach recorded just
  // before a window but evaluated inside it does not page either.
  const inWindowNow = node.status === 'Maintenance' || inMaintenance(windows, now.getTime());
  let lastNotified = state.last_notified_at?.getTime() ?? null;
  let changed = false;

  for (const s of samples) {
    if (wmAt !== null && (s.at < wmAt || (s.at === wmAt && s.entryId <= wmEntry))) continue;
    const value = condition.valueOf(s);
    if (value === null) continue;
    wmAt = s.at;
    wmEntry = s.entryId;
    changed = true;
    const before = phase;
    const step = evaluateRule(condition.rule, phase, [{ at: s.at, value }]);
    phase = step.phase;
    for (const ev of step.events) {
      if (ev.type === 'open') {
        if (inWindowNow || inMaintenance(windows, ev.at)) {
          // Not opened and not notified; still pending, so it opens as soon as the window ends if the breach goes on.
          phase = before.phase === 'pending' ? before : { phase: 'pending', since: ev.at };
          result.suppressedByMaintenance += 1;
          continue;
        }
        const catchUp = now.getTime() - ev.at > deps.catchUpAgeMs;
        const text = condition.describe(ev.value, node.label);
        const alert = await deps.alerts.open(trx, {
          nodeId: node.nodeId,
          communityId: node.communityId,
          ruleId: condition.ruleId,
          conditionKey: condition.key,
          kind: condition.kind,
          severity: condition.severity,
          title: text.title,
          message: text.message,
          metric: condition.metric,
          value: ev.value,
          threshold: condition.threshold,
          triggeredAt: new Date(ev.at),
          catchUp,
        });
        if (!alert) continue; // an unresolved alert for this condition already exists
        const cooledDown = lastNotified === null || ev.at - lastNotified >= condition.cooldownSeconds * 1000;
        const notify = !catchUp && cooledDown;
        if (notify) lastNotified = ev.at;
        await effects.record(trx, 'opened', alert, node, { notify, at: new Date(ev.at) });
        result.opened += 1;
      } else {
        const alert = await deps.alerts.resolveOpen(trx, node.nodeId, condition.key, { at: new Date(ev.at), by: 'system', comment: condition.describeClear(ev.value), value: ev.value });
        if (!alert) continue;
        // Only a notified open gets a notified resolve; cooldown and catch-up silence both.
        const notify = alert.notified && now.getTime() - ev.at <= deps.catchUpAgeMs && !inWindowNow && !inMaintenance(windows, ev.at);
        await effects.record(trx, 'resolved', alert, node, { notify, at: new Date(ev.at) });
        result.resolved += 1;
      }
    }
  }
  if (!changed) return;
  await trx('alert_condition_state')
    .where({ node_id: node.nodeId, condition_key: condition.key })
    .update({
      phase: phase.phase,
      since: phase.phase === 'normal' ? null : new Date(phase.since),
      watermarks: wmAt === null ? state.watermarks : { ...state.watermarks, [nodeChannelId]: { at: wmAt, entryId: wmEntry } },
      last_notified_at: lastNotified === null ? null : new Date(lastNotified),
      updated_at: now,
    });
}

/** Fast path for "resolves itself when data returns": fresh data ends an offline alert at once. */
async function resolveOfflineIfBack(deps: AlertEngineDeps, trx: Knex.Transaction, node: AlertNode, samples: SampleMetrics[], now: Date, effects: AlertEffects, result: EvaluationResult): Promise<void> {
  const newest = samples[samples.length - 1]!;
  if (!isOnline(new Date(newest.at), node.expectedIntervalS, now)) return;
  const alert = await deps.alerts.resolveOpen(trx, node.nodeId, OFFLINE_KEY, { at: new Date(newest.at), by: 'system', comment: 'data returned', value: null });
  if (!alert) return;
  await effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at: new Date(newest.at) });
  result.resolved += 1;
}

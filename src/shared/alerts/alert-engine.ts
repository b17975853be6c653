import type { Db } from '../db/knex';
import { inTransaction, type Tx } from '../db/transaction';
import { isOnline } from '../nodes/offline-threshold';
import { evaluateRule, type RulePhase } from './alert-rules';
import { AlertEffects, type AlertEffectsFlushDeps, type AlertEffectsRepos } from './alert-effects';
import type { AlertsRepository } from './alerts.repository';
import type { AlertRulesRepository } from './alert-rules.repository';
import { inMaintenance, type MaintenanceWindowsRepository, type MaintenanceWindow } from './maintenance-windows.repository';
import { loadAlertNode, type AlertNode } from './alert-nodes.repository';
import type { AlertConditionStateRepository, ConditionState } from './alert-condition-state.repository';
import type { AlertSamplesRepository } from './alert-samples.repository';
import { dataQualityConditions, OFFLINE_KEY, ruleCondition, type Condition } from './conditions';
import { sampleMetrics, type SampleMetrics } from './sample-metrics';

export interface AlertEngineDeps extends AlertEffectsRepos {
  db: Db;
  rules: AlertRulesRepository;
  alerts: AlertsRepository;
  maintenance: MaintenanceWindowsRepository;
  conditionState: AlertConditionStateRepository;
  samples: AlertSamplesRepository;
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

/**
 * Evaluates a node's new readings against its rules and built-in data checks, in event-time order
 * (recorded time, then entry id), in one transaction that holds the conditions' state rows. Each
 * condition remembers the newest sample it evaluated (its watermark), so a retried or repeated
 * job, or a re-fetch, never evaluates a sample twice; concurrent jobs for one node queue on the
 * row locks, and the partial unique index on alerts is the last word on "one unresolved alert".
 */
export async function evaluateNewReadings(deps: AlertEngineDeps, req: EvaluationRequest, now = new Date()): Promise<EvaluationResult> {
  const effects = new AlertEffects(deps);
  const result: EvaluationResult = { conditions: 0, samples: 0, opened: 0, resolved: 0, suppressedByMaintenance: 0, effects };
  const node = await loadAlertNode(deps.db, req.nodeId);
  if (!node) return { ...result, skipped: 'node no longer exists' };
  const mapping = await deps.samples.fieldMappingOf(req.nodeChannelId);
  if (!mapping) return { ...result, skipped: 'channel no longer exists' };

  const rules = await deps.rules.enabledFor(deps.db, { id: node.nodeId, communityId: node.communityId, category: node.category });
  const aliases = [...new Set(Object.entries(mapping).map(([field, alias]) => alias || field))];
  const conditions: Condition[] = [...rules.map(ruleCondition), ...dataQualityConditions(aliases, deps.dataQualityMs)];
  result.conditions = conditions.length;

  await inTransaction(deps.db, async (trx) => {
    const states = await deps.conditionState.lockStates(trx, node.nodeId, conditions.map((c) => c.key));
    const samples = await loadSamples(deps, trx, req, states, now, mapping, node);
    result.samples = samples.length;
    if (samples.length === 0) return;
    const windows = await deps.maintenance.overlapping(trx, { id: node.nodeId, communityId: node.communityId }, new Date(samples[0]!.at), new Date(Math.max(samples[samples.length - 1]!.at, now.getTime())));

    for (const condition of conditions) {
      const state = states.get(condition.key);
      if (!state) continue;
      await evaluateCondition(deps, trx, { nodeChannelId: req.nodeChannelId, node, condition, state, samples, windows, now, effects, result });
    }
    await resolveOfflineIfBack(deps, trx, node, samples, now, effects, result);
    if (effects.changes.length > 0) await effects.refreshNodeStatus(trx, node, now);
  });
  return result;
}

async function loadSamples(
  deps: AlertEngineDeps,
  trx: Tx,
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
  const readings = await deps.samples.inEventOrder(trx, {
    nodeChannelId: req.nodeChannelId,
    range: { epoch: req.epoch, fromEntryId: req.fromEntryId, toEntryId: req.toEntryId },
    since: since === undefined ? undefined : new Date(since),
    notAfter: new Date(now.getTime() + MAX_CLOCK_SKEW_MS),
    limit: MAX_SAMPLES,
  });
  return readings.map((r) => sampleMetrics(r, mapping, node));
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

async function evaluateCondition(deps: AlertEngineDeps, trx: Tx, run: ConditionRun): Promise<void> {
  const { node, condition, state, samples, windows, now, effects, result, nodeChannelId } = run;
  let phase = toPhase(state);
  const mark = state.watermarks[nodeChannelId];
  let wmAt = mark?.at ?? null;
  let wmEntry = mark?.entryId ?? -1;
  // Maintenance counts at the reading's time and at evaluation time: a breach recorded just
  // before a window but evaluated inside it does not page either.
  const inWindowNow = node.status === 'Maintenance' || inMaintenance(windows, now.getTime());
  let lastNotified = state.lastNotifiedAt?.getTime() ?? null;
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
  await deps.conditionState.save(
    trx,
    node.nodeId,
    {
      conditionKey: condition.key,
      phase: phase.phase,
      since: phase.phase === 'normal' ? null : new Date(phase.since),
      watermarks: wmAt === null ? state.watermarks : { ...state.watermarks, [nodeChannelId]: { at: wmAt, entryId: wmEntry } },
      lastNotifiedAt: lastNotified === null ? null : new Date(lastNotified),
    },
    now,
  );
}

/** Fast path for "resolves itself when data returns": fresh data ends an offline alert at once. */
async function resolveOfflineIfBack(deps: AlertEngineDeps, trx: Tx, node: AlertNode, samples: SampleMetrics[], now: Date, effects: AlertEffects, result: EvaluationResult): Promise<void> {
  const newest = samples[samples.length - 1]!;
  if (!isOnline(new Date(newest.at), node.expectedIntervalS, now)) return;
  const alert = await deps.alerts.resolveOpen(trx, node.nodeId, OFFLINE_KEY, { at: new Date(newest.at), by: 'system', comment: 'data returned', value: null });
  if (!alert) return;
  await effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at: new Date(newest.at) });
  result.resolved += 1;
}

export type EvaluationSummary = Omit<EvaluationResult, 'effects'> & { changes: AlertEffects['changes'] };

/**
 * The evaluate-node use case: evaluate, commit, then hand notifications to the queue and publish
 * live events (a failure there is repaired by the outbox relay; live events are hints).
 */
export async function evaluateNode(deps: AlertEngineDeps & { flush: Omit<AlertEffectsFlushDeps, 'log'> }, req: EvaluationRequest, log: AlertEffectsFlushDeps['log']): Promise<EvaluationSummary> {
  const { effects, ...summary } = await evaluateNewReadings(deps, req);
  await effects.flush({ ...deps.flush, log });
  return { ...summary, changes: effects.changes };
}

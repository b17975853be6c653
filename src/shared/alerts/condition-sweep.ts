import type { Db } from '../db/knex';
import { inTransaction } from '../db/transaction';
import { offlineSince } from '../nodes/offline-threshold';
import { THINGSPEAK_ERROR_CODES } from '../thingspeak/thingspeak-error';
import type { DbBreaker } from '../breaker/db-breaker';
import { AlertEffects, type AlertEffectsFlushDeps, type AlertEffectsRepos } from './alert-effects';
import type { AlertsRepository } from './alerts.repository';
import { inMaintenance, type MaintenanceWindowsRepository } from './maintenance-windows.repository';
import type { ConditionSweepRepository } from './condition-sweep.repository';
import { accessLostKey, formatDuration, OFFLINE_KEY } from './conditions';

export interface SweepDeps extends AlertEffectsRepos {
  db: Db;
  alerts: AlertsRepository;
  maintenance: MaintenanceWindowsRepository;
  sweep: ConditionSweepRepository;
  catchUpAgeMs: number;
  accessLostAfter: number;
}

export interface SweepResult {
  offlineOpened: number;
  offlineResolved: number;
  accessLostOpened: number;
  accessLostResolved: number;
  /** Nodes this sweep moved to Offline (each also published as STATUS_UPDATE). */
  wentOffline: number;
  effects: AlertEffects;
}

const BATCH = 1_000;

/**
 * Built-in conditions that no new reading triggers, checked periodically:
 * - offline: the newest reading is older than the offline threshold AND a poll succeeded after that
 *   deadline, i.e. we looked and the channel had nothing new (a ThingSpeak outage is not "offline");
 * - channel access lost: the channel's recent polls failed with -1 / 401 / 404, a different alert
 *   from "device silent", resolved by the next successful poll.
 * Each open relies on the unique index, so overlapping sweeps cannot open two.
 */
export async function sweepConditions(deps: SweepDeps, now = new Date()): Promise<SweepResult> {
  const result: SweepResult = { offlineOpened: 0, offlineResolved: 0, accessLostOpened: 0, accessLostResolved: 0, wentOffline: 0, effects: new AlertEffects(deps) };
  await openOffline(deps, now, result);
  await resolveOffline(deps, now, result);
  await openAccessLost(deps, now, result);
  await resolveAccessLost(deps, now, result);
  return result;
}

export type SweepSummary = Omit<SweepResult, 'effects'> & { changes: AlertEffects['changes'] };

/**
 * The sweep-conditions use case. Skipped while the DB breaker is open: polls are parked then, so
 * data looks older than it is and "offline" would be a false alarm.
 */
export async function runConditionSweep(
  deps: SweepDeps & { breaker: Pick<DbBreaker, 'snapshot'>; flush: Omit<AlertEffectsFlushDeps, 'log'> },
  log: AlertEffectsFlushDeps['log'],
): Promise<SweepSummary | { skipped: string }> {
  if ((await deps.breaker.snapshot()).state === 'open') return { skipped: 'database circuit open' };
  const { effects, ...counts } = await sweepConditions(deps);
  await effects.flush({ ...deps.flush, log });
  return { ...counts, changes: effects.changes };
}

async function openOffline(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  for (const { node, lastReadingAt } of await deps.sweep.offlineToOpen(now, BATCH)) {
    const since = offlineSince(lastReadingAt, node.expectedIntervalS);
    await inTransaction(deps.db, async (trx) => {
      // A poll may have stored fresh data since the query: re-check under the row lock polls take.
      const current = await deps.sweep.lockLastReadingAt(trx, node.nodeId);
      if (!current || current.getTime() !== lastReadingAt.getTime()) return;
      const change = await result.effects.refreshNodeStatus(trx, node, now);
      if (change?.changed && change.status === 'Offline') result.wentOffline += 1;
      const windows = await deps.maintenance.overlapping(trx, { id: node.nodeId, communityId: node.communityId }, now, now);
      if (inMaintenance(windows, now.getTime())) return;
      // Never catch-up: the node is offline now, however long ago it went quiet.
      const catchUp = false;
      const alert = await deps.alerts.open(trx, {
        nodeId: node.nodeId,
        communityId: node.communityId,
        ruleId: null,
        conditionKey: OFFLINE_KEY,
        kind: 'offline',
        severity: 'warning',
        title: `${node.label} is offline`,
        message: `${node.label}: no new data since ${lastReadingAt.toISOString()} (expected every ${formatDuration(node.expectedIntervalS)})`,
        metric: null,
        value: null,
        threshold: null,
        triggeredAt: since,
        catchUp,
      });
      if (!alert) return;
      await result.effects.record(trx, 'opened', alert, node, { notify: !catchUp, at: since });
      result.offlineOpened += 1;
    });
  }
}

async function resolveOffline(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  for (const { node, lastReadingAt } of await deps.sweep.offlineToResolve(now)) {
    const back = lastReadingAt ?? now;
    await inTransaction(deps.db, async (trx) => {
      const alert = await deps.alerts.resolveOpen(trx, node.nodeId, OFFLINE_KEY, { at: back, by: 'system', comment: node.active ? 'data returned' : 'node deactivated', value: null });
      if (!alert) return;
      await result.effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at: back });
      await result.effects.refreshNodeStatus(trx, node, now);
      result.offlineResolved += 1;
    });
  }
}

async function openAccessLost(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  for (const c of await deps.sweep.accessLostToOpen(now, deps.accessLostAfter, BATCH)) {
    const { node } = c;
    const at = c.lastErrorAt ?? now;
    await inTransaction(deps.db, async (trx) => {
      const windows = await deps.maintenance.overlapping(trx, { id: node.nodeId, communityId: node.communityId }, now, now);
      if (inMaintenance(windows, now.getTime())) return;
      const catchUp = false; // the channel is unreadable now
      const alert = await deps.alerts.open(trx, {
        nodeId: node.nodeId,
        communityId: node.communityId,
        ruleId: null,
        conditionKey: accessLostKey(c.nodeChannelId),
        kind: 'access_lost',
        severity: 'warning',
        title: `ThingSpeak channel ${c.channelId} cannot be read`,
        message: `${node.label}: the last ${c.consecutiveFailures} polls of channel ${c.channelId} failed with ${c.lastErrorCode === THINGSPEAK_ERROR_CODES.not_found ? 'not found' : 'access denied (-1/401)'}: check the channel id and read key`,
        metric: null,
        value: null,
        threshold: null,
        triggeredAt: at,
        catchUp,
      });
      if (!alert) return;
      await result.effects.record(trx, 'opened', alert, node, { notify: !catchUp, at });
      await result.effects.refreshNodeStatus(trx, node, now);
      result.accessLostOpened += 1;
    });
  }
}

async function resolveAccessLost(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  for (const { node, conditionKey, lastSuccessAt } of await deps.sweep.accessLostToResolve()) {
    const at = lastSuccessAt ?? now;
    await inTransaction(deps.db, async (trx) => {
      const alert = await deps.alerts.resolveOpen(trx, node.nodeId, conditionKey, { at, by: 'system', comment: 'channel readable again', value: null });
      if (!alert) return;
      await result.effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at });
      await result.effects.refreshNodeStatus(trx, node, now);
      result.accessLostResolved += 1;
    });
  }
}

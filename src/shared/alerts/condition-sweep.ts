import type { Knex } from 'knex';
import { THINGSPEAK_ERROR_CODES } from '../thingspeak/thingspeak-error';
import { AlertEffects } from './alert-effects';
import type { AlertsRepository } from './alerts.repository';
import { inMaintenance, type MaintenanceWindowsRepository } from './maintenance-windows.repository';
import { alertNodesQuery, toAlertNode, type AlertNode } from './alert-node';
import { accessLostKey, formatDuration, OFFLINE_KEY } from './conditions';

export interface SweepDeps {
  db: Knex;
  alerts: AlertsRepository;
  maintenance: MaintenanceWindowsRepository;
  catchUpAgeMs: number;
  accessLostAfter: number;
}

export interface SweepResult {
  offlineOpened: number;
  offlineResolved: number;
  accessLostOpened: number;
  accessLostResolved: number;
  /** Nodes this sweep moved from Online to Offline (for STATUS_UPDATE). */
  wentOffline: AlertNode[];
  effects: AlertEffects;
}

// A node is offline after three expected intervals without data (as nodes/node-state.ts says).
const STALE = 'make_interval(secs => nodes.expected_interval_s * 3)';
const ACCESS_CODES = [THINGSPEAK_ERROR_CODES.access_denied, THINGSPEAK_ERROR_CODES.not_found];
const BATCH = 1_000;

/** Nodes in a maintenance window now are left out in SQL, so they cannot fill every batch. */
function notInMaintenance(db: Knex, now: Date) {
  return (q: Knex.QueryBuilder) =>
    q
      .select(db.raw('1'))
      .from('maintenance_windows')
      .whereRaw('maintenance_windows.community_id = nodes.community_id')
      .where((w) => w.whereNull('maintenance_windows.node_id').orWhereRaw('maintenance_windows.node_id = nodes.id'))
      .where('maintenance_windows.starts_at', '<=', now)
      .where('maintenance_windows.ends_at', '>', now);
}

/**
 * Built-in conditions that no new reading triggers, checked periodically:
 * - offline: the newest reading is older than 3 expected intervals AND a poll succeeded after that
 *   deadline, i.e. we looked and the channel had nothing new (a ThingSpeak outage is not "offline");
 * - channel access lost: the channel's recent polls failed with -1 / 401 / 404, a different alert
 *   from "device silent", resolved by the next successful poll.
 * Each open relies on the unique index, so overlapping sweeps cannot open two.
 */
export async function sweepConditions(deps: SweepDeps, now = new Date()): Promise<SweepResult> {
  const result: SweepResult = { offlineOpened: 0, offlineResolved: 0, accessLostOpened: 0, accessLostResolved: 0, wentOffline: [], effects: new AlertEffects() };
  await openOffline(deps, now, result);
  await resolveOffline(deps, now, result);
  await openAccessLost(deps, now, result);
  await resolveAccessLost(deps, now, result);
  return result;
}

async function openOffline(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  const { db } = deps;
  const rows = (await alertNodesQuery(db)
    .join('node_state', 'node_state.node_id', 'nodes.id')
    .select('node_state.last_reading_at')
    .where('nodes.active', true)
    .whereNot('nodes.status', 'Maintenance')
    .whereNotNull('node_state.last_reading_at')
    .whereRaw(`node_state.last_reading_at < ?::timestamptz - ${STALE}`, [now])
    .whereExists((q) =>
      q
        .select(db.raw('1'))
        .from('node_channels')
        .join('channel_sync_state', 'channel_sync_state.node_channel_id', 'node_channels.id')
        .whereRaw('node_channels.node_id = nodes.id')
        .where('node_channels.active', true)
        .whereRaw(`channel_sync_state.last_success_at > node_state.last_reading_at + ${STALE}`),
    )
    .whereNotExists((q) => q.select(db.raw('1')).from('alerts').whereRaw('alerts.node_id = nodes.id').where('alerts.condition_key', OFFLINE_KEY).whereNot('alerts.status', 'resolved'))
    .whereNotExists(notInMaintenance(db, now))
    .orderBy('node_state.last_reading_at', 'desc')
    .limit(BATCH)) as Array<Record<string, unknown>>;

  for (const row of rows) {
    const node = toAlertNode(row);
    const lastReadingAt = row.last_reading_at as Date;
    const offlineSince = new Date(lastReadingAt.getTime() + node.expectedIntervalS * 3 * 1000);
    await db.transaction(async (trx) => {
      // A poll may have stored fresh data since the query: re-check under the row lock polls take.
      const current = (await trx('node_state').where({ node_id: node.nodeId }).forUpdate().first('last_reading_at')) as { last_reading_at: Date | null } | undefined;
      if (!current?.last_reading_at || current.last_reading_at.getTime() !== lastReadingAt.getTime()) return;
      const moved = await trx('nodes').where({ id: node.nodeId, status: 'Online' }).update({ status: 'Offline', updated_at: now });
      if (moved > 0) result.wentOffline.push(node);
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
        triggeredAt: offlineSince,
        catchUp,
      });
      if (!alert) return;
      await result.effects.record(trx, 'opened', alert, node, { notify: !catchUp, at: offlineSince });
      result.offlineOpened += 1;
    });
  }
}

async function resolveOffline(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  const { db } = deps;
  const rows = (await alertNodesQuery(db)
    .join('node_state', 'node_state.node_id', 'nodes.id')
    .join('alerts', 'alerts.node_id', 'nodes.id')
    .select('node_state.last_reading_at')
    .where('alerts.condition_key', OFFLINE_KEY)
    .whereNot('alerts.status', 'resolved')
    .where((w) => w.where('nodes.active', false).orWhereRaw(`node_state.last_reading_at >= ?::timestamptz - ${STALE}`, [now]))) as Array<Record<string, unknown>>;
  for (const row of rows) {
    const node = toAlertNode(row);
    const back = (row.last_reading_at as Date | null) ?? now;
    await db.transaction(async (trx) => {
      const alert = await deps.alerts.resolveOpen(trx, node.nodeId, OFFLINE_KEY, { at: back, by: 'system', comment: node.active ? 'data returned' : 'node deactivated', value: null });
      if (!alert) return;
      await result.effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at: back });
      result.offlineResolved += 1;
    });
  }
}

async function openAccessLost(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  const { db } = deps;
  const rows = (await alertNodesQuery(db)
    .join('node_channels', 'node_channels.node_id', 'nodes.id')
    .join('channel_sync_state', 'channel_sync_state.node_channel_id', 'node_channels.id')
    .select('node_channels.id as node_channel_id', 'node_channels.channel_id', 'channel_sync_state.last_error_code', 'channel_sync_state.last_error_at', 'channel_sync_state.consecutive_failures')
    .where('nodes.active', true)
    .where('node_channels.active', true)
    .where('channel_sync_state.consecutive_failures', '>=', deps.accessLostAfter)
    .whereIn('channel_sync_state.last_error_code', ACCESS_CODES)
    .whereNotExists((q) =>
      q.select(db.raw('1')).from('alerts').whereRaw('alerts.node_id = nodes.id').whereRaw(`alerts.condition_key = 'access_lost:' || node_channels.id::text`).whereNot('alerts.status', 'resolved'),
    )
    .whereNotExists(notInMaintenance(db, now))
    .orderBy('channel_sync_state.last_error_at', 'desc')
    .limit(BATCH)) as Array<Record<string, unknown>>;
  for (const row of rows) {
    const node = toAlertNode(row);
    const at = (row.last_error_at as Date | null) ?? now;
    const code = row.last_error_code as string;
    await db.transaction(async (trx) => {
      const windows = await deps.maintenance.overlapping(trx, { id: node.nodeId, communityId: node.communityId }, now, now);
      if (inMaintenance(windows, now.getTime())) return;
      const catchUp = false; // the channel is unreadable now
      const alert = await deps.alerts.open(trx, {
        nodeId: node.nodeId,
        communityId: node.communityId,
        ruleId: null,
        conditionKey: accessLostKey(row.node_channel_id as string),
        kind: 'access_lost',
        severity: 'warning',
        title: `ThingSpeak channel ${String(row.channel_id)} cannot be read`,
        message: `${node.label}: the last ${String(row.consecutive_failures)} polls of channel ${String(row.channel_id)} failed with ${code === THINGSPEAK_ERROR_CODES.not_found ? 'not found' : 'access denied (-1/401)'}: check the channel id and read key`,
        metric: null,
        value: null,
        threshold: null,
        triggeredAt: at,
        catchUp,
      });
      if (!alert) return;
      await result.effects.record(trx, 'opened', alert, node, { notify: !catchUp, at });
      result.accessLostOpened += 1;
    });
  }
}

async function resolveAccessLost(deps: SweepDeps, now: Date, result: SweepResult): Promise<void> {
  const { db } = deps;
  const rows = (await alertNodesQuery(db)
    .join('alerts', 'alerts.node_id', 'nodes.id')
    .leftJoin('node_channels', db.raw(`alerts.condition_key = 'access_lost:' || node_channels.id::text`))
    .leftJoin('channel_sync_state', 'channel_sync_state.node_channel_id', 'node_channels.id')
    .select('alerts.condition_key', 'channel_sync_state.last_success_at')
    .where('alerts.kind', 'access_lost')
    .whereNot('alerts.status', 'resolved')
    .where((w) =>
      w
        .whereNull('node_channels.id')
        .orWhere('node_channels.active', false)
        .orWhere('nodes.active', false)
        .orWhere('channel_sync_state.consecutive_failures', 0),
    )) as Array<Record<string, unknown>>;
  for (const row of rows) {
    const node = toAlertNode(row);
    const at = (row.last_success_at as Date | null) ?? now;
    await db.transaction(async (trx) => {
      const alert = await deps.alerts.resolveOpen(trx, node.nodeId, row.condition_key as string, { at, by: 'system', comment: 'channel readable again', value: null });
      if (!alert) return;
      await result.effects.record(trx, 'resolved', alert, node, { notify: alert.notified, at });
      result.accessLostResolved += 1;
    });
  }
}

import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import type { Tx } from '../db/transaction';
import { offlineAfterSql } from '../nodes/offline-threshold';
import { THINGSPEAK_ERROR_CODES } from '../thingspeak/thingspeak-error';
import { alertNodesQuery, toAlertNode, type AlertNode, type AlertNodeRow } from './alert-nodes.repository';
import { OFFLINE_KEY } from './conditions';

const STALE = offlineAfterSql('nodes.expected_interval_s');
const ACCESS_CODES = [THINGSPEAK_ERROR_CODES.access_denied, THINGSPEAK_ERROR_CODES.not_found];

export interface OfflineCandidate {
  node: AlertNode;
  lastReadingAt: Date;
}

export interface AccessLostCandidate {
  node: AlertNode;
  nodeChannelId: string;
  channelId: number;
  lastErrorCode: string;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
}

/** The candidates the periodic sweep (condition-sweep.ts) looks at, in batches. */
export function createConditionSweepRepository(db: Db) {
  /** Nodes in a maintenance window now are left out in SQL, so they cannot fill every batch. */
  const notInMaintenance = (now: Date) => (q: Knex.QueryBuilder) =>
    q
      .select(db.raw('1'))
      .from('maintenance_windows')
      .whereRaw('maintenance_windows.community_id = nodes.community_id')
      .where((w) => w.whereNull('maintenance_windows.node_id').orWhereRaw('maintenance_windows.node_id = nodes.id'))
      .where('maintenance_windows.starts_at', '<=', now)
      .where('maintenance_windows.ends_at', '>', now);

  return {
    /**
     * Nodes silent past the offline threshold AND polled successfully after that deadline (we looked
     * and the channel had nothing new: a ThingSpeak outage is not "offline"), with no open offline alert.
     */
    async offlineToOpen(now: Date, limit: number): Promise<OfflineCandidate[]> {
      const rows: Array<AlertNodeRow & { last_reading_at: Date }> = await alertNodesQuery(db)
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
        .whereNotExists(notInMaintenance(now))
        .orderBy('node_state.last_reading_at', 'desc')
        .limit(limit);
      return rows.map((r) => ({ node: toAlertNode(r), lastReadingAt: r.last_reading_at }));
    },

    /** The node's newest reading time, holding its node_state row (the lock polls take) until the transaction ends. */
    async lockLastReadingAt(tx: Tx, nodeId: string): Promise<Date | null> {
      const row: { last_reading_at: Date | null } | undefined = await tx('node_state').where({ node_id: nodeId }).forUpdate().first('last_reading_at');
      return row?.last_reading_at ?? null;
    },

    /** Nodes with an open offline alert that sent data again, or were deactivated. */
    async offlineToResolve(now: Date): Promise<Array<{ node: AlertNode; lastReadingAt: Date | null }>> {
      const rows: Array<AlertNodeRow & { last_reading_at: Date | null }> = await alertNodesQuery(db)
        .join('node_state', 'node_state.node_id', 'nodes.id')
        .join('alerts', 'alerts.node_id', 'nodes.id')
        .select('node_state.last_reading_at')
        .where('alerts.condition_key', OFFLINE_KEY)
        .whereNot('alerts.status', 'resolved')
        .where((w) => w.where('nodes.active', false).orWhereRaw(`node_state.last_reading_at >= ?::timestamptz - ${STALE}`, [now]));
      return rows.map((r) => ({ node: toAlertNode(r), lastReadingAt: r.last_reading_at }));
    },

    /** Channels whose last `accessLostAfter` polls were refused (-1 / 401 / 404), with no open access-lost alert. */
    async accessLostToOpen(now: Date, accessLostAfter: number, limit: number): Promise<AccessLostCandidate[]> {
      const rows: Array<AlertNodeRow & { node_channel_id: string; channel_id: string | number; last_error_code: string; last_error_at: Date | null; consecutive_failures: number }> =
        await alertNodesQuery(db)
          .join('node_channels', 'node_channels.node_id', 'nodes.id')
          .join('channel_sync_state', 'channel_sync_state.node_channel_id', 'node_channels.id')
          .select('node_channels.id as node_channel_id', 'node_channels.channel_id', 'channel_sync_state.last_error_code', 'channel_sync_state.last_error_at', 'channel_sync_state.consecutive_failures')
          .where('nodes.active', true)
          .where('node_channels.active', true)
          .where('channel_sync_state.consecutive_failures', '>=', accessLostAfter)
          .whereIn('channel_sync_state.last_error_code', ACCESS_CODES)
          .whereNotExists((q) =>
            q.select(db.raw('1')).from('alerts').whereRaw('alerts.node_id = nodes.id').whereRaw(`alerts.condition_key = 'access_lost:' || node_channels.id::text`).whereNot('alerts.status', 'resolved'),
          )
          .whereNotExists(notInMaintenance(now))
          .orderBy('channel_sync_state.last_error_at', 'desc')
          .limit(limit);
      return rows.map((r) => ({
        node: toAlertNode(r),
        nodeChannelId: r.node_channel_id,
        channelId: Number(r.channel_id),
        lastErrorCode: r.last_error_code,
        lastErrorAt: r.last_error_at,
        consecutiveFailures: r.consecutive_failures,
      }));
    },

    /** Open access-lost alerts whose channel is readable again, gone, inactive, or whose node was deactivated. */
    async accessLostToResolve(): Promise<Array<{ node: AlertNode; conditionKey: string; lastSuccessAt: Date | null }>> {
      const rows: Array<AlertNodeRow & { condition_key: string; last_success_at: Date | null }> = await alertNodesQuery(db)
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
        );
      return rows.map((r) => ({ node: toAlertNode(r), conditionKey: r.condition_key, lastSuccessAt: r.last_success_at }));
    },
  };
}

export type ConditionSweepRepository = ReturnType<typeof createConditionSweepRepository>;

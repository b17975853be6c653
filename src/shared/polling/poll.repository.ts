import type { Db } from '../db/knex';
import type { ChannelEpochRow, ChannelSyncStateRow, CommunityRow, NodeChannelRow, NodeRow } from '../db/tables';
import { channelEpochIdOf, ensureChannelEpoch } from '../readings/channel-epochs';
import { storedTimes as storedEntryTimes } from '../readings/reading-writer';
import type { PendingEvaluation, PollTarget } from './poll-types';

export type { CommitInput, CommitResult, NewReading, PollTarget, StoreResult } from './poll-types';

/** The columns loadTargets selects; `id` and `active` of the channel and the node are aliased apart. */
interface PollTargetRow
  extends Pick<NodeChannelRow, 'channel_id' | 'read_key_encrypted' | 'field_mapping'>,
    Pick<NodeRow, 'analytics_type' | 'config' | 'expected_interval_s' | 'status' | 'community_id'>,
    Pick<CommunityRow, 'distributor_id'>,
    Pick<ChannelSyncStateRow, 'epoch' | 'last_entry_id' | 'cursor_entry_at' | 'fetched_until' | 'backfill_until' | 'remote_last_entry_id' | 'eval_from_entry_id' | 'eval_to_entry_id'> {
  node_channel_id: NodeChannelRow['id'];
  channel_active: NodeChannelRow['active'];
  node_id: NodeRow['id'];
  node_active: NodeRow['active'];
  channel_epoch_id: ChannelEpochRow['id'] | null;
}

function toTarget(r: PollTargetRow, channelEpochId: number): PollTarget {
  return {
    nodeChannelId: r.node_channel_id,
    channelEpochId,
    channelId: Number(r.channel_id),
    readKeyEncrypted: r.read_key_encrypted,
    fieldMapping: r.field_mapping,
    channelActive: r.channel_active,
    node: {
      id: r.node_id,
      analyticsType: r.analytics_type,
      config: r.config,
      expectedIntervalS: r.expected_interval_s,
      status: r.status,
      active: r.node_active,
      communityId: r.community_id,
      distributorId: r.distributor_id,
    },
    sync: {
      epoch: r.epoch,
      lastEntryId: r.last_entry_id,
      cursorEntryAt: r.cursor_entry_at,
      fetchedUntil: r.fetched_until,
      backfillUntil: r.backfill_until,
      remoteLastEntryId: r.remote_last_entry_id,
      evalFromEntryId: r.eval_from_entry_id,
      evalToEntryId: r.eval_to_entry_id,
    },
  };
}

/** Reads and small writes of the poll path outside its commit (poll-commit.repository.ts). */
export function createPollRepository(db: Db) {
  return {
    /** Many channels' targets in one round trip: concurrent polls share it (poll-batches.ts). */
    async loadTargets(nodeChannelIds: string[]): Promise<Map<string, PollTarget>> {
      if (nodeChannelIds.length === 0) return new Map();
      const rows: PollTargetRow[] = await db('node_channels')
        .join('nodes', 'nodes.id', 'node_channels.node_id')
        .join('communities', 'communities.id', 'nodes.community_id')
        .join('channel_sync_state', 'channel_sync_state.node_channel_id', 'node_channels.id')
        .leftJoin('channel_epochs', (j) => j.on('channel_epochs.node_channel_id', 'node_channels.id').andOn('channel_epochs.epoch', 'channel_sync_state.epoch'))
        .whereIn('node_channels.id', [...new Set(nodeChannelIds)])
        .select(
          'node_channels.id as node_channel_id',
          'node_channels.channel_id',
          'node_channels.read_key_encrypted',
          'node_channels.field_mapping',
          'node_channels.active as channel_active',
          'nodes.id as node_id',
          'nodes.analytics_type',
          'nodes.config',
          'nodes.expected_interval_s',
          'nodes.status',
          'nodes.active as node_active',
          'nodes.community_id',
          'communities.distributor_id',
          'channel_sync_state.epoch',
          'channel_sync_state.last_entry_id',
          'channel_sync_state.cursor_entry_at',
          'channel_sync_state.fetched_until',
          'channel_sync_state.backfill_until',
          'channel_sync_state.remote_last_entry_id',
          'channel_sync_state.eval_from_entry_id',
          'channel_sync_state.eval_to_entry_id',
          'channel_epochs.id as channel_epoch_id',
        );
      const targets = new Map<string, PollTarget>();
      // Node creation makes the epoch-0 row; a channel found cleared and empty (no readings, so no
      // commit made the new epoch's row) or one from before channel_epochs lacks it.
      for (const r of rows) targets.set(r.node_channel_id, toTarget(r, r.channel_epoch_id ?? (await ensureChannelEpoch(db, r.node_channel_id, r.epoch))));
      return targets;
    },

    async loadTarget(nodeChannelId: string): Promise<PollTarget | undefined> {
      return (await this.loadTargets([nodeChannelId])).get(nodeChannelId);
    },

    /**
     * created_at of stored entries, to notice a channel that was cleared and refilled between polls.
     * Only asked when the cursor entry's own time cannot decide (an indexed lookup of a few ids).
     */
    async storedTimes(nodeChannelId: string, epoch: number, entryIds: number[]): Promise<Map<number, number>> {
      if (entryIds.length === 0) return new Map();
      const channelEpochId = await channelEpochIdOf(db, nodeChannelId, epoch);
      if (channelEpochId === undefined) return new Map();
      return storedEntryTimes(db, channelEpochId, entryIds.slice(0, 10_000));
    },

    /**
     * Clears evaluation outboxes once their jobs are safely in the alerts queue, in one statement.
     * A range that grew meanwhile (another poll committed more) is left for that poll to send.
     */
    async clearPendingEvaluations(sent: Array<{ nodeChannelId: string } & Pick<PendingEvaluation, 'epoch' | 'toEntryId'>>): Promise<void> {
      if (sent.length === 0) return;
      await db.raw(
        `UPDATE channel_sync_state AS s SET eval_from_entry_id = NULL, eval_to_entry_id = NULL
           FROM unnest(?::uuid[], ?::int[], ?::int[]) AS v(node_channel_id, epoch, to_entry_id)
          WHERE s.node_channel_id = v.node_channel_id AND s.epoch = v.epoch AND s.eval_to_entry_id = v.to_entry_id`,
        [sent.map((s) => s.nodeChannelId), sent.map((s) => s.epoch), sent.map((s) => s.toEntryId)],
      );
    },

    async recordFailure(nodeChannelId: string, code: string, message: string, now: Date): Promise<void> {
      await db('channel_sync_state')
        .where({ node_channel_id: nodeChannelId })
        .update({
          last_poll_at: now,
          last_error: message.slice(0, 500),
          last_error_code: code,
          last_error_at: now,
          consecutive_failures: db.raw('consecutive_failures + 1'),
          updated_at: now,
        });
    },
  };
}

export type PollRepository = ReturnType<typeof createPollRepository>;

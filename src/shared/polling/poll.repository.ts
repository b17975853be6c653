import type { Db } from '../db/knex';
import type { ChannelEpochRow, ChannelSyncStateRow, CommunityRow, NodeChannelRow, NodeRow, NodeStateRow } from '../db/tables';
import type { Tx } from '../db/transaction';
import type { AnalyticsType, NodeConfig, NodeStatus } from '../nodes/node';
import { deriveState, foldMetrics, type ParsedReading } from '../nodes/node-state';
import { isOnline } from '../nodes/offline-threshold';
import type { ParsedFieldValue } from '../thingspeak/field-value';
import { channelEpochIdOf, ensureChannelEpoch } from '../readings/channel-epochs';
import { insertReadings, storedTimes as storedEntryTimes } from '../readings/reading-writer';

export interface PollTarget {
  nodeChannelId: string;
  /** The current epoch's id in channel_epochs (sync.epoch): what its readings point at. */
  channelEpochId: number;
  channelId: number;
  readKeyEncrypted: string | null;
  fieldMapping: Record<string, string>;
  channelActive: boolean;
  node: {
    id: string;
    analyticsType: AnalyticsType;
    config: NodeConfig;
    expectedIntervalS: number;
    status: NodeStatus;
    active: boolean;
    /** Who may see the node's live events. */
    communityId: string;
    distributorId: string | null;
  };
  sync: {
    epoch: number;
    lastEntryId: number;
    fetchedUntil: Date | null;
    evalFromEntryId: number | null;
    evalToEntryId: number | null;
  };
}

export interface NewReading {
  entryId: number;
  recordedAt: Date;
  raw: Record<string, string | null>;
  parsed: Record<string, Pick<ParsedFieldValue, 'value' | 'status'>>;
}

export interface CommitInput {
  target: PollTarget;
  /** Epoch the readings belong to (target.sync.epoch + 1 when the channel was found cleared). */
  epoch: number;
  cleared: boolean;
  readings: NewReading[];
  remoteLastEntryId: number | null;
  fetchedUntil: Date | null;
  missingEntries: number;
  now: Date;
}

export interface StoreResult {
  inserted: number;
  /** The readings this commit inserted (rows already stored are not among them). */
  insertedRows: ParsedReading[];
  fromEntryId: number | null;
  toEntryId: number | null;
  /** false when another poll moved the cursor first; nothing was written. */
  applied: boolean;
  /** The evaluation range left in the outbox by this commit (and any earlier unsent one). */
  pendingEvaluation: { epoch: number; fromEntryId: number; toEntryId: number } | null;
}

/** The columns loadTarget selects; `id` and `active` of the channel and the node are aliased apart. */
interface PollTargetRow
  extends Pick<NodeChannelRow, 'channel_id' | 'read_key_encrypted' | 'field_mapping'>,
    Pick<NodeRow, 'analytics_type' | 'config' | 'expected_interval_s' | 'status' | 'community_id'>,
    Pick<CommunityRow, 'distributor_id'>,
    Pick<ChannelSyncStateRow, 'epoch' | 'last_entry_id' | 'fetched_until' | 'eval_from_entry_id' | 'eval_to_entry_id'> {
  node_channel_id: NodeChannelRow['id'];
  channel_active: NodeChannelRow['active'];
  node_id: NodeRow['id'];
  node_active: NodeRow['active'];
  channel_epoch_id: ChannelEpochRow['id'] | null;
}

export function createPollRepository(db: Db) {
  return {
    async loadTarget(nodeChannelId: string): Promise<PollTarget | undefined> {
      const r: PollTargetRow | undefined = await db('node_channels')
        .join('nodes', 'nodes.id', 'node_channels.node_id')
        .join('communities', 'communities.id', 'nodes.community_id')
        .join('channel_sync_state', 'channel_sync_state.node_channel_id', 'node_channels.id')
        .leftJoin('channel_epochs', (j) => j.on('channel_epochs.node_channel_id', 'node_channels.id').andOn('channel_epochs.epoch', 'channel_sync_state.epoch'))
        .where('node_channels.id', nodeChannelId)
        .first(
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
          'channel_sync_state.fetched_until',
          'channel_sync_state.eval_from_entry_id',
          'channel_sync_state.eval_to_entry_id',
          'channel_epochs.id as channel_epoch_id',
        );
      if (!r) return undefined;
      return {
        nodeChannelId: r.node_channel_id,
        // Created with the channel; ensured here too so a missing row cannot stop the channel's polls.
        channelEpochId: r.channel_epoch_id ?? (await ensureChannelEpoch(db, r.node_channel_id, r.epoch)),
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
        sync: { epoch: r.epoch, lastEntryId: r.last_entry_id, fetchedUntil: r.fetched_until, evalFromEntryId: r.eval_from_entry_id, evalToEntryId: r.eval_to_entry_id },
      };
    },

    /** created_at of stored entries, to notice a channel that was cleared and refilled between polls. */
    async storedTimes(nodeChannelId: string, epoch: number, entryIds: number[]): Promise<Map<number, number>> {
      const channelEpochId = entryIds.length === 0 ? undefined : await channelEpochIdOf(db, nodeChannelId, epoch);
      return channelEpochId === undefined ? new Map() : storedEntryTimes(db, channelEpochId, entryIds.slice(0, 10_000));
    },

    /**
     * Stores new readings and moves the cursor, in the caller's transaction (which holds the
     * channel's sync row from here on). Rows already stored are ignored (key channel epoch + entry
     * id + time), so a repeated or concurrent poll changes nothing. The cursor only moves forward
     * within an epoch.
     */
    async storeReadings(trx: Tx, input: CommitInput): Promise<StoreResult> {
      const { target, now } = input;
      {
        const sync: ChannelSyncStateRow | undefined = await trx('channel_sync_state').where({ node_channel_id: target.nodeChannelId }).forUpdate().first();
        const notApplied = { inserted: 0, insertedRows: [], fromEntryId: null, toEntryId: null, applied: false, pendingEvaluation: null };
        if (!sync) return notApplied;
        // Another poll of this channel committed a different epoch meanwhile: let the next poll redo the work.
        if (sync.epoch !== target.sync.epoch) return notApplied;

        // A clear starts a new epoch; its row is created in this commit, which moves the cursor to it.
        const channelEpochId = input.epoch === target.sync.epoch ? target.channelEpochId : await ensureChannelEpoch(trx, target.nodeChannelId, input.epoch);
        const insertedRows: ParsedReading[] = await insertReadings(
          trx,
          input.readings.map((r) => ({ channelEpochId, entryId: r.entryId, recordedAt: r.recordedAt, fields: r.raw })),
        );

        const ids = insertedRows.map((r) => r.entryId);
        // A loop, not Math.max(...ids): spreading 150k+ ids (a first import) overflows the call stack.
        const maxInserted = ids.length > 0 ? ids.reduce((m, id) => (id > m ? id : m)) : null;
        const minInserted = ids.length > 0 ? ids.reduce((m, id) => (id < m ? id : m)) : null;
        const baseCursor = input.cleared ? 0 : sync.last_entry_id;
        const storedBefore = input.cleared ? 0 : Number(sync.stored_count);
        // Widen a pending (not yet enqueued) evaluation range rather than lose it.
        // After a clear the old epoch's pending range is meaningless: only the new entries count.
        const evalFrom = input.cleared ? minInserted : minInserted === null ? sync.eval_from_entry_id : Math.min(minInserted, sync.eval_from_entry_id ?? minInserted);
        const evalTo = input.cleared ? maxInserted : maxInserted === null ? sync.eval_to_entry_id : Math.max(maxInserted, sync.eval_to_entry_id ?? maxInserted);
        const lastEntryAt = insertedRows.reduce<Date | null>((acc, r) => (acc === null || r.recordedAt > acc ? r.recordedAt : acc), null);

        await trx('channel_sync_state')
          .where({ node_channel_id: target.nodeChannelId })
          .update({
            epoch: input.epoch,
            last_entry_id: Math.max(baseCursor, maxInserted ?? 0),
            ...(lastEntryAt ? { last_entry_at: lastEntryAt } : {}),
            remote_last_entry_id: input.remoteLastEntryId,
            stored_count: storedBefore + insertedRows.length,
            fetched_until: input.fetchedUntil,
            missing_entries: input.missingEntries,
            last_poll_at: now,
            last_success_at: now,
            last_error: null,
            last_error_code: null,
            consecutive_failures: 0,
            ...(input.cleared ? { cleared_at: now } : {}),
            eval_from_entry_id: evalFrom,
            eval_to_entry_id: evalTo,
            updated_at: now,
          });

        return {
          inserted: insertedRows.length,
          insertedRows,
          fromEntryId: minInserted,
          toEntryId: maxInserted,
          applied: true,
          pendingEvaluation: evalFrom !== null && evalTo !== null ? { epoch: input.epoch, fromEntryId: evalFrom, toEntryId: evalTo } : null,
        };
      }
    },

    /**
     * Folds the inserted readings into the node's latest metrics and derived values (level %,
     * litres, ...) and moves `last_seen_at` forward, holding the node_state row.
     */
    async updateNodeState(trx: Tx, target: PollTarget, inserted: ParsedReading[], now: Date): Promise<void> {
      const state: Pick<NodeStateRow, 'last_reading_at' | 'metrics'> | undefined = await trx('node_state')
        .where({ node_id: target.node.id })
        .forUpdate()
        .first('last_reading_at', 'metrics');
      const folded = foldMetrics(state?.metrics ?? {}, state?.last_reading_at ?? null, inserted, target.fieldMapping);
      const derived = deriveState(target.node, folded.metrics, folded.lastReadingAt);
      await trx('node_state')
        .insert({
          node_id: target.node.id,
          last_reading_at: derived.lastReadingAt,
          metrics: derived.metrics,
          level_pct: derived.levelPct,
          volume_l: derived.volumeL,
          capacity_l: derived.capacityL,
          flow_rate: derived.flowRate,
          depth_m: derived.depthM,
          derivation_note: derived.note,
          online: isOnline(folded.lastReadingAt, target.node.expectedIntervalS, now),
          updated_at: now,
        })
        .onConflict('node_id')
        .merge();
      if (folded.lastReadingAt) {
        await trx('nodes')
          .where({ id: target.node.id })
          .where((w) => w.whereNull('last_seen_at').orWhere('last_seen_at', '<', folded.lastReadingAt!))
          .update({ last_seen_at: folded.lastReadingAt });
      }
    },

    /** Clears the evaluation outbox once its job is safely in the alerts queue. */
    async clearPendingEvaluation(nodeChannelId: string, epoch: number, toEntryId: number): Promise<void> {
      await db('channel_sync_state')
        .where({ node_channel_id: nodeChannelId, epoch, eval_to_entry_id: toEntryId })
        .update({ eval_from_entry_id: null, eval_to_entry_id: null });
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

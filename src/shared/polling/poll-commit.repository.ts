import type { Db } from '../db/knex';
import type { ChannelSyncStateRow, NodeStateRow } from '../db/tables';
import type { Tx } from '../db/transaction';
import type { ParsedReading } from '../nodes/node-state';
import type { NewReading } from './poll-types';
import { insertReadings, type InsertMode, type ReadingToStore } from '../readings/reading-writer';
import { ensureChannelEpoch } from '../readings/channel-epochs';

/** The sync row fields a commit decides from, read under the row lock. */
export type LockedSync = Pick<ChannelSyncStateRow, 'node_channel_id' | 'epoch' | 'last_entry_id' | 'stored_count' | 'eval_from_entry_id' | 'eval_to_entry_id'>;

/**
 * A row for the reading writer that also carries what the commit needs back: it is an
 * InsertedReading itself, so the rows stored are handed back as they are, not copied (a first
 * import inserts 8,000 a page).
 */
export interface ReadingToInsert extends ReadingToStore {
  nodeChannelId: string;
  parsed: NewReading['parsed'];
}

export interface InsertedReading extends ParsedReading {
  nodeChannelId: string;
}

/** The new sync row of one channel after its commit. */
export interface SyncUpdate {
  nodeChannelId: string;
  epoch: number;
  lastEntryId: number;
  /** Never moves back within an epoch; unchanged when null. */
  lastEntryAt: Date | null;
  /** Written whenever the cursor moves (null: not known); unchanged otherwise. */
  cursorEntryAt: Date | null;
  remoteLastEntryId: number | null;
  storedCount: number;
  fetchedUntil: Date | null;
  backfillUntil: Date | null;
  missingEntries: number;
  cleared: boolean;
  evalFromEntryId: number | null;
  evalToEntryId: number | null;
  now: Date;
}

export type NodeStateUpsert = Omit<NodeStateRow, 'last_reading_id'>;

/**
 * The SQL of a poll commit, each step one statement for a whole batch of channels. Rows are locked
 * in key order (sync rows, then node_state, then nodes), so two batches that share channels or
 * nodes queue behind each other instead of deadlocking.
 */
export function createPollCommitRepository(_db: Db) {
  return {
    async lockSyncRows(tx: Tx, nodeChannelIds: string[]): Promise<Map<string, LockedSync>> {
      const rows: LockedSync[] = await tx('channel_sync_state')
        .whereIn('node_channel_id', nodeChannelIds)
        .orderBy('node_channel_id')
        .forUpdate()
        .select('node_channel_id', 'epoch', 'last_entry_id', 'stored_count', 'eval_from_entry_id', 'eval_to_entry_id');
      return new Map(rows.map((r) => [r.node_channel_id, r]));
    },

    /**
     * Inserts many channels' readings in one statement per chunk (reading-writer.ts). Rows already
     * stored are skipped (the primary key): a repeated poll adds nothing.
     */
    async insertReadings(tx: Tx, rows: ReadingToInsert[], mode?: InsertMode): Promise<InsertedReading[]> {
      return insertReadings(tx, rows, mode);
    },

    /** The id of a channel's new epoch (a poll found it cleared), created in the commit's transaction. */
    channelEpochId: (tx: Tx, nodeChannelId: string, epoch: number): Promise<number> => ensureChannelEpoch(tx, nodeChannelId, epoch),

    /** Moves every channel's cursor and bookkeeping in one statement (rows already locked). */
    async updateSyncRows(tx: Tx, updates: SyncUpdate[]): Promise<void> {
      if (updates.length === 0) return;
      const col = <T>(f: (u: SyncUpdate) => T) => updates.map(f);
      await tx.raw(
        `UPDATE channel_sync_state AS s SET
            epoch = v.epoch,
            last_entry_id = v.last_entry_id,
            last_entry_at = CASE WHEN v.cleared THEN v.last_entry_at ELSE GREATEST(v.last_entry_at, s.last_entry_at) END,
            cursor_entry_at = CASE WHEN v.cleared OR v.last_entry_id <> s.last_entry_id THEN v.cursor_entry_at ELSE s.cursor_entry_at END,
            remote_last_entry_id = v.remote_last_entry_id,
            stored_count = v.stored_count,
            fetched_until = v.fetched_until,
            backfill_until = v.backfill_until,
            missing_entries = v.missing_entries,
            last_poll_at = v.now,
            last_success_at = v.now,
            last_error = NULL,
            last_error_code = NULL,
            consecutive_failures = 0,
            cleared_at = CASE WHEN v.cleared THEN v.now ELSE s.cleared_at END,
            eval_from_entry_id = v.eval_from,
            eval_to_entry_id = v.eval_to,
            updated_at = v.now
           FROM unnest(?::uuid[], ?::int[], ?::int[], ?::timestamptz[], ?::timestamptz[], ?::int[], ?::bigint[], ?::timestamptz[], ?::timestamptz[], ?::int[], ?::boolean[], ?::int[], ?::int[], ?::timestamptz[])
             AS v(node_channel_id, epoch, last_entry_id, last_entry_at, cursor_entry_at, remote_last_entry_id, stored_count, fetched_until, backfill_until, missing_entries, cleared, eval_from, eval_to, now)
          WHERE s.node_channel_id = v.node_channel_id`,
        [
          col((u) => u.nodeChannelId),
          col((u) => u.epoch),
          col((u) => u.lastEntryId),
          col((u) => u.lastEntryAt?.toISOString() ?? null),
          col((u) => u.cursorEntryAt?.toISOString() ?? null),
          col((u) => u.remoteLastEntryId),
          col((u) => u.storedCount),
          col((u) => u.fetchedUntil?.toISOString() ?? null),
          col((u) => u.backfillUntil?.toISOString() ?? null),
          col((u) => u.missingEntries),
          col((u) => u.cleared),
          col((u) => u.evalFromEntryId),
          col((u) => u.evalToEntryId),
          col((u) => u.now.toISOString()),
        ] as unknown as string[], // pg sends each array as one array parameter; knex's binding type does not say so
      );
    },

    /** The nodes' current derived state, holding their node_state rows (those that exist). */
    async lockNodeStates(tx: Tx, nodeIds: string[]): Promise<Map<string, Pick<NodeStateRow, 'last_reading_at' | 'metrics'>>> {
      const rows: Array<Pick<NodeStateRow, 'node_id' | 'last_reading_at' | 'metrics'>> = await tx('node_state')
        .whereIn('node_id', nodeIds)
        .orderBy('node_id')
        .forUpdate()
        .select('node_id', 'last_reading_at', 'metrics');
      return new Map(rows.map((r) => [r.node_id, r]));
    },

    async upsertNodeStates(tx: Tx, states: NodeStateUpsert[]): Promise<void> {
      if (states.length === 0) return;
      const sorted = [...states].sort((a, b) => (a.node_id < b.node_id ? -1 : 1));
      await tx('node_state')
        .insert(sorted.map((s) => ({ ...s, metrics: JSON.stringify(s.metrics) })))
        .onConflict('node_id')
        .merge();
    },

    /** Moves `last_seen_at` forward only; the rows are already locked by the status refresh. */
    async advanceLastSeen(tx: Tx, seen: Array<{ nodeId: string; at: Date }>): Promise<void> {
      if (seen.length === 0) return;
      await tx.raw(
        `UPDATE nodes SET last_seen_at = v.at
           FROM unnest(?::uuid[], ?::timestamptz[]) AS v(id, at)
          WHERE nodes.id = v.id AND (nodes.last_seen_at IS NULL OR nodes.last_seen_at < v.at)`,
        [seen.map((s) => s.nodeId), seen.map((s) => s.at.toISOString())],
      );
    },
  };
}

export type PollCommitRepository = ReturnType<typeof createPollCommitRepository>;

import type { Db } from '../db/knex';
import type { ReadingRow } from '../db/tables';
import { decodeStored, FIELD_COLUMNS } from '../readings/reading-codec';
import type { MappedReading } from './node-stats';

/** One epoch of one of a node's channels: what readings point at, with that channel's field mapping. */
export interface NodeEpoch {
  channelEpochId: number;
  mapping: Record<string, string>;
}

/**
 * Raw readings for node statistics. Readings are found by their channel epoch ids (the leading
 * column of the primary key) and their recorded time (the partition key), so a query touches only
 * the days asked for and only the node's rows in them. No rollup table is read: these are the
 * stored readings themselves.
 */
export function createNodeStatsRepository(db: Db) {
  return {
    /** Every epoch of every channel the node has or had (detached channels keep their history). */
    async epochsOf(nodeId: string): Promise<NodeEpoch[]> {
      const rows: Array<{ id: number; field_mapping: Record<string, string> | null }> = await db('channel_epochs')
        .join('node_channels', 'node_channels.id', 'channel_epochs.node_channel_id')
        .where('node_channels.node_id', nodeId)
        .select('channel_epochs.id', 'node_channels.field_mapping');
      return rows.map((r) => ({ channelEpochId: r.id, mapping: r.field_mapping ?? {} }));
    },

    /** The readings of these epochs recorded in [from, to], oldest first by (recorded time, channel epoch, entry id). */
    async readingsBetween(epochs: readonly NodeEpoch[], from: Date, to: Date): Promise<MappedReading[]> {
      if (epochs.length === 0) return [];
      const mappingOf = new Map(epochs.map((e) => [e.channelEpochId, e.mapping]));
      const rows: ReadingRow[] = await db('readings')
        .whereIn(
          'channel_epoch_id',
          epochs.map((e) => e.channelEpochId),
        )
        .whereBetween('recorded_at', [from, to])
        .orderBy(['recorded_at', 'channel_epoch_id', 'entry_id'])
        .select('recorded_at', 'channel_epoch_id', 'entry_id', ...FIELD_COLUMNS, 'raw');
      return rows.map((r) => ({ entryId: r.entry_id, recordedAt: r.recorded_at, parsed: decodeStored(r).parsed, mapping: mappingOf.get(r.channel_epoch_id) ?? {} }));
    },

    /** Readings stored per UTC day ("2026-11-29" -> count) of these epochs, recorded in [from, to]. */
    async countsByDay(epochs: readonly NodeEpoch[], from: Date, to: Date): Promise<Map<string, number>> {
      if (epochs.length === 0) return new Map();
      const rows: Array<{ day: string; count: string }> = await db('readings')
        .whereIn(
          'channel_epoch_id',
          epochs.map((e) => e.channelEpochId),
        )
        .whereBetween('recorded_at', [from, to])
        .select(db.raw(`to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day`), db.raw('count(*) AS count'))
        .groupBy('day');
      return new Map(rows.map((r) => [r.day, Number(r.count)]));
    },
  };
}

export type NodeStatsRepository = ReturnType<typeof createNodeStatsRepository>;

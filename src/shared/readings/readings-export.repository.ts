import type { Readable } from 'node:stream';
import type { Db } from '../db/knex';
import { withCursor, type CursorStreamOptions } from '../db/cursor-stream';
import type { ReadingRow } from '../db/tables';
import { FIELD_COLUMNS } from './reading-codec';

/** A channel epoch a node's export reads, with what its rows need to be labelled. */
export interface ExportEpoch {
  channelEpochId: number;
  /** The ThingSpeak channel number. */
  channelId: number;
  epoch: number;
  fieldMapping: Record<string, string>;
}

/** A row of the export stream: the stored reading as is (decode it with decodeStored). */
export type ReadingExportRow = Pick<ReadingRow, 'recorded_at' | 'channel_epoch_id' | 'entry_id' | 'f1' | 'f2' | 'f3' | 'f4' | 'raw'>;

export interface ReadingsExportQuery {
  channelEpochIds: readonly number[];
  from?: Date;
  to?: Date;
}

/** Readings for export: streamed from a server-side cursor, never loaded whole. */
export function createReadingsExportRepository(db: Db) {
  return {
    /** Every epoch of the node's channels (detached ones too: detaching keeps history), optionally of one channel. */
    async epochsOf(nodeId: string, channelId?: number): Promise<ExportEpoch[]> {
      const q = db('channel_epochs')
        .join('node_channels', 'node_channels.id', 'channel_epochs.node_channel_id')
        .where('node_channels.node_id', nodeId)
        .select('channel_epochs.id', 'channel_epochs.epoch', 'node_channels.channel_id', 'node_channels.field_mapping')
        // A stable order (the CSV's columns follow it): as attached, then by channel number (channels created together share a time).
        .orderBy([{ column: 'node_channels.created_at' }, { column: 'node_channels.channel_id' }, { column: 'channel_epochs.epoch' }]);
      if (channelId) q.where('node_channels.channel_id', channelId);
      const rows: Array<{ id: number; epoch: number; channel_id: string; field_mapping: Record<string, string> }> = await q;
      return rows.map((r) => ({ channelEpochId: r.id, channelId: Number(r.channel_id), epoch: r.epoch, fieldMapping: r.field_mapping }));
    },

    /**
     * The readings of these epochs in [from, to), oldest first (recorded time, then channel epoch,
     * then entry id: the JSON list's order), as a stream of ReadingExportRow handed to `consume`.
     * Only `readings` is read: the epochs' labels come from epochsOf, not from a join per row. Day
     * partitions come in time order, so only one day's rows are ever sorted at a time.
     */
    async stream<T>(q: ReadingsExportQuery, opts: CursorStreamOptions, consume: (rows: Readable) => Promise<T>): Promise<T> {
      const query = db('readings')
        .whereIn('channel_epoch_id', [...q.channelEpochIds])
        .select('recorded_at', 'channel_epoch_id', 'entry_id', ...FIELD_COLUMNS, 'raw')
        .orderBy(['recorded_at', 'channel_epoch_id', 'entry_id']);
      if (q.from) query.where('recorded_at', '>=', q.from);
      if (q.to) query.where('recorded_at', '<', q.to);
      return withCursor(db, query.toSQL().toNative(), opts, consume);
    },
  };
}

export type ReadingsExportRepository = ReturnType<typeof createReadingsExportRepository>;

import type { Db } from '../db/knex';
import type { ReadingRow } from '../db/tables';
import type { Conn } from '../db/transaction';
import { decodeStored, FIELD_COLUMNS } from '../readings/reading-codec';
import type { StoredReading } from './sample-metrics';

/** Reads the alert engine needs: a channel's field mapping and its readings in event-time order. */
export function createAlertSamplesRepository(db: Db) {
  return {
    /** The channel's field mapping (ThingSpeak field -> alias); undefined when the channel is gone. */
    async fieldMappingOf(nodeChannelId: string, conn: Conn = db): Promise<Record<string, string> | undefined> {
      const row: { field_mapping: Record<string, string> | null } | undefined = await conn('node_channels').where({ id: nodeChannelId }).first('field_mapping');
      return row ? (row.field_mapping ?? {}) : undefined;
    },

    /**
     * Readings of one channel, oldest first by (recorded time, epoch, entry id): the entries of
     * `range` plus every reading recorded at or after `since`, none dated after `notAfter`.
     */
    async inEventOrder(
      conn: Conn,
      q: { nodeChannelId: string; range: { epoch: number; fromEntryId: number; toEntryId: number }; since?: Date; notAfter: Date; limit: number },
    ): Promise<StoredReading[]> {
      // The channel's epochs are few; joining them turns (channel, epoch) into the readings' key.
      const rows: ReadingRow[] = await conn('readings')
        .join('channel_epochs', 'channel_epochs.id', 'readings.channel_epoch_id')
        .where('channel_epochs.node_channel_id', q.nodeChannelId)
        .where('readings.recorded_at', '<=', q.notAfter)
        .where((w) => {
          w.where((r) => r.where('channel_epochs.epoch', q.range.epoch).whereBetween('readings.entry_id', [q.range.fromEntryId, q.range.toEntryId]));
          if (q.since !== undefined) w.orWhere('readings.recorded_at', '>=', q.since);
        })
        .orderBy([{ column: 'readings.recorded_at' }, { column: 'channel_epochs.epoch' }, { column: 'readings.entry_id' }])
        .limit(q.limit)
        .select('readings.entry_id', 'readings.recorded_at', ...FIELD_COLUMNS.map((c) => `readings.${c}`), 'readings.raw');
      return rows.map((r) => ({ entryId: r.entry_id, recordedAt: r.recorded_at, parsed: decodeStored(r).parsed }));
    },
  };
}

export type AlertSamplesRepository = ReturnType<typeof createAlertSamplesRepository>;

import type { Db } from '../db/knex';
import type { Conn } from '../db/transaction';
import type { StoredReading } from './sample-metrics';

interface SampleRow {
  entry_id: number;
  recorded_at: Date;
  parsed: StoredReading['parsed'] | null;
}

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
      const rows: SampleRow[] = await conn('readings')
        .where({ node_channel_id: q.nodeChannelId })
        .where('recorded_at', '<=', q.notAfter)
        .where((w) => {
          w.where((r) => r.where('epoch', q.range.epoch).whereBetween('entry_id', [q.range.fromEntryId, q.range.toEntryId]));
          if (q.since !== undefined) w.orWhere('recorded_at', '>=', q.since);
        })
        .orderBy([{ column: 'recorded_at' }, { column: 'epoch' }, { column: 'entry_id' }])
        .limit(q.limit)
        .select('entry_id', 'recorded_at', 'parsed');
      return rows.map((r) => ({ entryId: r.entry_id, recordedAt: r.recorded_at, parsed: r.parsed ?? {} }));
    },
  };
}

export type AlertSamplesRepository = ReturnType<typeof createAlertSamplesRepository>;

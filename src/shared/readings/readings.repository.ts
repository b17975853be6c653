import type { Db } from '../db/knex';
import type { NodeChannelRow, ReadingRow } from '../db/tables';

export interface ReadingView {
  id: string;
  channelId: number;
  epoch: number;
  entryId: number;
  recordedAt: string;
  /** Per mapped alias (or fieldN when unmapped): the parsed number, or null with the reason. */
  values: Record<string, { value: number | null; status: string; raw: string | null }>;
}

export interface ReadingsQuery {
  nodeId: string;
  from?: Date;
  to?: Date;
  channelId?: number;
  limit: number;
  /** Keyset cursor from the previous page: "<recordedAt ISO>|<reading id>". */
  before?: { recordedAt: Date; id: string };
  order: 'asc' | 'desc';
}

export function encodeReadingsCursor(r: Pick<ReadingView, 'recordedAt' | 'id'>): string {
  return Buffer.from(`${r.recordedAt}|${r.id}`).toString('base64url');
}

export function decodeReadingsCursor(cursor: string): { recordedAt: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const recordedAt = at ? new Date(at) : undefined;
  if (!recordedAt || Number.isNaN(recordedAt.getTime()) || !id || !/^\d+$/.test(id)) return undefined;
  return { recordedAt, id };
}

/** The columns `list` selects: the reading and its channel's id and field mapping. */
type ReadingListRow = Pick<ReadingRow, 'id' | 'epoch' | 'entry_id' | 'recorded_at' | 'raw' | 'parsed'> & Pick<NodeChannelRow, 'channel_id' | 'field_mapping'>;

export function createReadingsRepository(db: Db) {
  return {
    /** One page in event-time order (recorded time, then id), keyset-paginated for stable pages. */
    async list(q: ReadingsQuery): Promise<{ items: ReadingView[]; nextCursor: string | null }> {
      const query = db('readings')
        .join('node_channels', 'node_channels.id', 'readings.node_channel_id')
        .where('readings.node_id', q.nodeId)
        .select('readings.id', 'readings.epoch', 'readings.entry_id', 'readings.recorded_at', 'readings.raw', 'readings.parsed', 'node_channels.channel_id', 'node_channels.field_mapping');
      if (q.from) query.where('readings.recorded_at', '>=', q.from);
      if (q.to) query.where('readings.recorded_at', '<', q.to);
      if (q.channelId) query.where('node_channels.channel_id', q.channelId);
      if (q.before) {
        const op = q.order === 'desc' ? '<' : '>';
        query.whereRaw(`(readings.recorded_at, readings.id) ${op} (?, ?)`, [q.before.recordedAt, q.before.id]);
      }
      query.orderBy([{ column: 'readings.recorded_at', order: q.order }, { column: 'readings.id', order: q.order }]).limit(q.limit + 1);
      const rows: ReadingListRow[] = await query;
      const items = rows.slice(0, q.limit).map((r) => {
        const values: ReadingView['values'] = {};
        for (const [field, p] of Object.entries(r.parsed)) {
          values[r.field_mapping[field] ?? field] = { value: p.value, status: p.status, raw: r.raw[field] ?? null };
        }
        return { id: r.id, channelId: Number(r.channel_id), epoch: r.epoch, entryId: r.entry_id, recordedAt: r.recorded_at.toISOString(), values };
      });
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit && last ? encodeReadingsCursor(last) : null };
    },
  };
}

export type ReadingsRepository = ReturnType<typeof createReadingsRepository>;

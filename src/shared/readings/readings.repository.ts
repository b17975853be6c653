import type { Db } from '../db/knex';
import type { ChannelEpochRow, NodeChannelRow, ReadingRow } from '../db/tables';
import { decodeStored, FIELD_COLUMNS } from './reading-codec';

export interface ReadingView {
  /** "<channel epoch id>-<entry id>": a reading has no surrogate id, this pair is its key. */
  id: string;
  channelId: number;
  epoch: number;
  entryId: number;
  recordedAt: string;
  /** Per mapped alias (or fieldN when unmapped): the parsed number, or null with the reason. */
  values: Record<string, { value: number | null; status: string; raw: string | null }>;
}

/** Where a page ends, in the order pages are read: recorded time, then channel epoch, then entry id. */
export interface ReadingsCursor {
  recordedAt: Date;
  channelEpochId: number;
  entryId: number;
}

export interface ReadingsQuery {
  nodeId: string;
  from?: Date;
  to?: Date;
  channelId?: number;
  limit: number;
  /** Keyset cursor from the previous page. */
  before?: ReadingsCursor;
  order: 'asc' | 'desc';
}

const INT4_MAX = 2_147_483_647;

export function readingId(channelEpochId: number, entryId: number): string {
  return `${channelEpochId}-${entryId}`;
}

/** The cursor is "<recordedAt ISO>|<reading id>", base64url: opaque to clients, cheap to check. */
export function encodeReadingsCursor(r: Pick<ReadingView, 'recordedAt' | 'id'>): string {
  return Buffer.from(`${r.recordedAt}|${r.id}`).toString('base64url');
}

export function decodeReadingsCursor(cursor: string): ReadingsCursor | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const recordedAt = at ? new Date(at) : undefined;
  const key = id ? /^(\d{1,10})-(\d{1,10})$/.exec(id) : null;
  if (!recordedAt || Number.isNaN(recordedAt.getTime()) || !key) return undefined;
  const channelEpochId = Number(key[1]);
  const entryId = Number(key[2]);
  // Out of int4 range the comparison would fail in Postgres instead of answering 400.
  if (channelEpochId > INT4_MAX || entryId > INT4_MAX) return undefined;
  return { recordedAt, channelEpochId, entryId };
}

/** The columns `list` selects: the reading, its epoch and its channel's id and field mapping. */
type ReadingListRow = ReadingRow & Pick<ChannelEpochRow, 'epoch'> & Pick<NodeChannelRow, 'channel_id' | 'field_mapping'>;

export function createReadingsRepository(db: Db) {
  return {
    /** One page in event-time order (recorded time, then channel epoch, then entry id), keyset-paginated for stable pages. */
    async list(q: ReadingsQuery): Promise<{ items: ReadingView[]; nextCursor: string | null }> {
      const query = db('readings')
        .join('channel_epochs', 'channel_epochs.id', 'readings.channel_epoch_id')
        .join('node_channels', 'node_channels.id', 'channel_epochs.node_channel_id')
        .where('node_channels.node_id', q.nodeId)
        .select(
          'readings.recorded_at',
          'readings.channel_epoch_id',
          'readings.entry_id',
          ...FIELD_COLUMNS.map((c) => `readings.${c}`),
          'readings.raw',
          'channel_epochs.epoch',
          'node_channels.channel_id',
          'node_channels.field_mapping',
        );
      if (q.from) query.where('readings.recorded_at', '>=', q.from);
      if (q.to) query.where('readings.recorded_at', '<', q.to);
      if (q.channelId) query.where('node_channels.channel_id', q.channelId);
      if (q.before) {
        const op = q.order === 'desc' ? '<' : '>';
        query.whereRaw(`(readings.recorded_at, readings.channel_epoch_id, readings.entry_id) ${op} (?, ?, ?)`, [q.before.recordedAt, q.before.channelEpochId, q.before.entryId]);
      }
      query
        .orderBy([
          { column: 'readings.recorded_at', order: q.order },
          { column: 'readings.channel_epoch_id', order: q.order },
          { column: 'readings.entry_id', order: q.order },
        ])
        .limit(q.limit + 1);
      const rows: ReadingListRow[] = await query;
      const items = rows.slice(0, q.limit).map((r) => {
        const { raw, parsed } = decodeStored(r);
        const values: ReadingView['values'] = {};
        for (const [field, p] of Object.entries(parsed)) {
          values[r.field_mapping[field] ?? field] = { value: p.value, status: p.status, raw: raw[field] ?? null };
        }
        return { id: readingId(r.channel_epoch_id, r.entry_id), channelId: Number(r.channel_id), epoch: r.epoch, entryId: r.entry_id, recordedAt: r.recorded_at.toISOString(), values };
      });
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit && last ? encodeReadingsCursor(last) : null };
    },
  };
}

export type ReadingsRepository = ReturnType<typeof createReadingsRepository>;

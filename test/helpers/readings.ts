import type { Core } from '../../src/shared/core';
import { decodeStored, FIELD_COLUMNS, type DecodedFields, type StoredFields } from '../../src/shared/readings/reading-codec';

export interface StoredEntry {
  entryId: number;
  recordedAt: number;
  /** Field texts as ThingSpeak sent them, rebuilt through the codec like every reader does. */
  raw: DecodedFields['raw'];
  parsed: DecodedFields['parsed'];
}

/** The readings stored for one channel (and epoch), ordered by entry id. */
export async function storedEntries(core: Core, nodeChannelId: string, epoch?: number): Promise<StoredEntry[]> {
  const q = core
    .db('readings')
    .join('channel_epochs', 'channel_epochs.id', 'readings.channel_epoch_id')
    .where('channel_epochs.node_channel_id', nodeChannelId)
    .orderBy(['readings.entry_id', 'channel_epochs.epoch'])
    .select('readings.entry_id', 'readings.recorded_at', ...FIELD_COLUMNS.map((c) => `readings.${c}`), 'readings.raw');
  if (epoch !== undefined) q.where('channel_epochs.epoch', epoch);
  const rows = (await q) as Array<StoredFields & { entry_id: number; recorded_at: Date }>;
  return rows.map((r) => ({ entryId: r.entry_id, recordedAt: r.recorded_at.getTime(), ...decodeStored(r) }));
}

export async function syncState(core: Core, nodeChannelId: string) {
  return core.db('channel_sync_state').where({ node_channel_id: nodeChannelId }).first();
}

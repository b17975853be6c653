import type { Core } from '../../src/shared/core';

export interface StoredEntry {
  entryId: number;
  recordedAt: number;
  raw: Record<string, string | null>;
}

/** The readings stored for one channel and epoch, ordered by entry id. */
export async function storedEntries(core: Core, nodeChannelId: string, epoch?: number): Promise<StoredEntry[]> {
  const q = core.db('readings').where({ node_channel_id: nodeChannelId }).orderBy('entry_id').select('entry_id', 'recorded_at', 'raw', 'epoch');
  if (epoch !== undefined) q.where({ epoch });
  const rows = (await q) as Array<{ entry_id: number; recorded_at: Date; raw: Record<string, string | null> }>;
  return rows.map((r) => ({ entryId: r.entry_id, recordedAt: r.recorded_at.getTime(), raw: r.raw }));
}

export async function syncState(core: Core, nodeChannelId: string) {
  return core.db('channel_sync_state').where({ node_channel_id: nodeChannelId }).first();
}

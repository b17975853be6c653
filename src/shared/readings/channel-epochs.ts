import type { Conn } from '../db/transaction';

/**
 * An epoch of a channel starts when ThingSpeak's channel is cleared (its entry ids restart at 1).
 * Readings point at (channel, epoch) through a 4-byte id instead of carrying a 16-byte uuid and the
 * epoch on every row.
 */

/** The id of the channel's epoch, created when missing (node creation, a clear found by a poll). */
export async function ensureChannelEpoch(conn: Conn, nodeChannelId: string, epoch: number): Promise<number> {
  await conn('channel_epochs').insert({ node_channel_id: nodeChannelId, epoch }).onConflict(['node_channel_id', 'epoch']).ignore();
  const id = await channelEpochIdOf(conn, nodeChannelId, epoch);
  if (id === undefined) throw new Error(`channel epoch ${nodeChannelId}/${epoch} vanished right after it was created`);
  return id;
}

/** The id of an existing epoch of the channel; undefined when the channel never had it. */
export async function channelEpochIdOf(conn: Conn, nodeChannelId: string, epoch: number): Promise<number | undefined> {
  const row: { id: number } | undefined = await conn('channel_epochs').where({ node_channel_id: nodeChannelId, epoch }).first('id');
  return row?.id;
}

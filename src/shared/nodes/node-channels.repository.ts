import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { NodeChannelRow } from '../db/tables';
import type { Conn, Tx } from '../db/transaction';
import { ensureChannelEpoch } from '../readings/channel-epochs';
import type { ChannelPatch, CreateNodeInput } from './node';

type ChannelInput = CreateNodeInput['channels'][number];

/** Turns a plaintext read key into what `node_channels.read_key_encrypted` of that row stores (sealed to the row). */
export type SealKey = (key: string | undefined, nodeChannelId: string) => string | null;

/** A node's channel as the history actions need it (never its key). */
export interface NodeChannelRef {
  id: string;
  channelId: number;
  active: boolean;
}

/** ThingSpeak channel numbers a PATCH changed; a channel left out is in none of them. */
export interface ChannelChanges {
  added: number[];
  reactivated: number[];
  deactivated: number[];
  /** Known channels given a different field mapping. */
  remapped: number[];
  /** Known channels sent a read key (the key itself is never recorded; whether it differs is not known). */
  readKeyReplaced: number[];
}

export const noChannelChanges = (): ChannelChanges => ({ added: [], reactivated: [], deactivated: [], remapped: [], readKeyReplaced: [] });

export const hasChannelChanges = (c: ChannelChanges) => Object.values(c).some((ids: number[]) => ids.length > 0);

/** New channels with their sync state and first epoch. */
export async function insertChannels(trx: Tx, seal: SealKey, nodeId: string, channels: ChannelInput[]): Promise<void> {
  for (const c of channels) {
    // The id is chosen here: the read key is sealed to its row before the row exists.
    const id = randomUUID();
    await trx('node_channels').insert({ id, node_id: nodeId, channel_id: c.channelId, read_key_encrypted: seal(c.readKey, id), field_mapping: c.fieldMapping, active: c.active });
    await trx('channel_sync_state').insert({ node_channel_id: id });
    // Epoch 0 exists from the start: every reading of the channel points at an epoch row.
    await ensureChannelEpoch(trx, id, 0);
  }
}

/**
 * PATCH's channel semantics: each listed channel is added or updated, the others are not touched.
 * Nothing here deletes a channel or a reading; a known channel keeps its sync state (cursor) and
 * epochs, so re-listing a detached channel attaches it again with its history. The caller holds
 * the node's row, so two edits of one node never add the same channel twice.
 */
export async function upsertChannels(trx: Tx, seal: SealKey, nodeId: string, patches: ChannelPatch[]): Promise<ChannelChanges> {
  const rows: Array<Pick<NodeChannelRow, 'id' | 'channel_id' | 'active' | 'field_mapping'>> = await trx('node_channels').where({ node_id: nodeId }).select('id', 'channel_id', 'active', 'field_mapping');
  const byChannel = new Map(rows.map((c) => [Number(c.channel_id), { id: c.id, active: c.active, fieldMapping: c.field_mapping }]));
  const changes = noChannelChanges();
  const fresh: ChannelInput[] = [];
  for (const p of patches) {
    const known = byChannel.get(p.channelId);
    // Listing a channel attaches it: active unless the caller says otherwise.
    const active = p.active ?? true;
    if (!known) {
      fresh.push({ channelId: p.channelId, readKey: p.readKey, fieldMapping: p.fieldMapping ?? {}, active });
      changes.added.push(p.channelId);
      continue;
    }
    const patch: Partial<NodeChannelRow> = { active };
    if (p.fieldMapping !== undefined) patch.field_mapping = p.fieldMapping;
    if (p.readKey) patch.read_key_encrypted = seal(p.readKey, known.id);
    await trx('node_channels').where({ id: known.id }).update(patch);
    if (active && !known.active) changes.reactivated.push(p.channelId);
    if (!active && known.active) changes.deactivated.push(p.channelId);
    if (p.fieldMapping !== undefined && !isDeepStrictEqual(p.fieldMapping, known.fieldMapping)) changes.remapped.push(p.channelId);
    if (p.readKey) changes.readKeyReplaced.push(p.channelId);
  }
  await insertChannels(trx, seal, nodeId, fresh);
  return changes;
}

/** Every channel of the node, active or not, by channel number. */
export async function channelsOfNode(conn: Conn, nodeId: string): Promise<NodeChannelRef[]> {
  const rows: Array<Pick<NodeChannelRow, 'id' | 'channel_id' | 'active'>> = await conn('node_channels').where({ node_id: nodeId }).orderBy('channel_id').select('id', 'channel_id', 'active');
  return rows.map((r) => ({ id: r.id, channelId: Number(r.channel_id), active: r.active }));
}

/** Stops (or restarts) polling a channel; its readings, cursor and epochs stay. */
export async function setChannelActive(conn: Conn, nodeChannelId: string, active: boolean): Promise<void> {
  await conn('node_channels').where({ id: nodeChannelId }).update({ active });
}

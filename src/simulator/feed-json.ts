import { FIELD_KEYS } from '../shared/thingspeak/feed';
import type { SimChannel, SimEntry } from './channel-store';

/**
 * ThingSpeak's JSON shapes for a channel and a feed row, key order included, so that what the
 * simulator serves looks like the captures in test/fixtures/thingspeak.
 */

/** `2018-09-07T14:57:44Z`: UTC, whole seconds, no milliseconds. */
export function renderTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function renderChannel(channel: SimChannel): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: channel.id,
    name: channel.name,
    latitude: '0.0',
    longitude: '0.0',
  };
  for (const key of FIELD_KEYS) {
    const label = channel.fieldLabels[key];
    if (label !== undefined) body[key] = label;
  }
  body.created_at = renderTime(channel.createdAt);
  body.updated_at = renderTime(channel.updatedAt);
  body.last_entry_id = channel.lastEntryId;
  return body;
}

/** Every field the channel defines is present on every row: the written value or null. */
export function renderEntry(channel: SimChannel, entry: SimEntry): Record<string, unknown> {
  const row: Record<string, unknown> = { created_at: renderTime(entry.createdAt), entry_id: entry.entryId };
  for (const key of FIELD_KEYS) {
    if (channel.fieldLabels[key] !== undefined) row[key] = entry.fields[key] ?? null;
  }
  return row;
}

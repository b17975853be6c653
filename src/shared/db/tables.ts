import type { AnalyticsType, NodeCategory, NodeConfig, NodeStatus } from '../nodes/node';
import type { NotificationEvent } from '../notifications/notification-event';
import type { FieldKey } from '../thingspeak/feed';

/**
 * Rows of the tables that several repositories read, as node-pg returns them: bigint as a string,
 * double precision and integer as a number, timestamptz as a Date, jsonb parsed, text[] as an array.
 * A table only one repository reads has its row type at the top of that repository.
 */

/** The columns of a LEFT JOINed table: all null when no row matched. */
export type LeftJoined<T> = { [K in keyof T]: T[K] | null };

export interface CommunityRow {
  id: string;
  distributor_id: string | null;
  slug: string;
  name: string;
  created_at: Date;
}

export interface NodeRow {
  id: string;
  community_id: string;
  node_key: string;
  label: string;
  category: NodeCategory;
  analytics_type: AnalyticsType;
  config: NodeConfig;
  lat: number | null;
  lng: number | null;
  location_name: string | null;
  status: NodeStatus;
  last_seen_at: Date | null;
  expected_interval_s: number;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface NodeChannelRow {
  id: string;
  node_id: string;
  /** bigint. */
  channel_id: string;
  read_key_encrypted: string | null;
  field_mapping: Record<string, string>;
  active: boolean;
  created_at: Date;
}

export interface ChannelSyncStateRow {
  node_channel_id: string;
  epoch: number;
  last_entry_id: number;
  last_entry_at: Date | null;
  cursor_entry_at: Date | null;
  backfill_until: Date | null;
  remote_last_entry_id: number | null;
  /** bigint. */
  stored_count: string;
  fetched_until: Date | null;
  missing_entries: number;
  last_poll_at: Date | null;
  last_success_at: Date | null;
  last_error: string | null;
  last_error_code: string | null;
  last_error_at: Date | null;
  consecutive_failures: number;
  cleared_at: Date | null;
  eval_from_entry_id: number | null;
  eval_to_entry_id: number | null;
  updated_at: Date;
}

export interface NodeStateRow {
  node_id: string;
  last_reading_at: Date | null;
  metrics: Record<string, number | null>;
  level_pct: number | null;
  volume_l: number | null;
  capacity_l: number | null;
  flow_rate: number | null;
  depth_m: number | null;
  derivation_note: string | null;
  online: boolean;
  updated_at: Date;
}

export interface ChannelEpochRow {
  /** serial: readings carry this 4-byte id instead of the channel's uuid and the epoch. */
  id: number;
  node_channel_id: string;
  epoch: number;
}

/** A partition of `readings` by day (readings_pYYYYMMDD) or readings_default; see readings/reading-codec.ts. */
export interface ReadingRow {
  recorded_at: Date;
  channel_epoch_id: number;
  entry_id: number;
  /** Parsed value of field1..field4; null when the field was absent or is not a number. */
  f1: number | null;
  f2: number | null;
  f3: number | null;
  f4: number | null;
  /** The field texts f1..f4 do not give back ("30.720", "nan") and those of field5..field8; null when none. */
  raw: Partial<Record<FieldKey, string | null>> | null;
}

export interface WebhookSubscriptionRow {
  id: string;
  community_id: string | null;
  distributor_id: string | null;
  url: string;
  events: NotificationEvent[];
  secret_encrypted: string;
  description: string | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

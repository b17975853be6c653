/** What ingestion keeps of a ThingSpeak feed, once validated (feed.ts parses it). */
export const FIELD_KEYS = ['field1', 'field2', 'field3', 'field4', 'field5', 'field6', 'field7', 'field8'] as const;
export type FieldKey = (typeof FIELD_KEYS)[number];

export interface FeedChannel {
  id: number;
  name: string | null;
  /** Goes backwards (to null, then 1) when the channel is cleared. */
  lastEntryId: number | null;
  createdAt: Date | null;
  /** Labels of the fields the channel defines ("Temperature"). */
  fieldNames: Partial<Record<FieldKey, string>>;
}

export interface FeedEntry {
  entryId: number;
  /** One-second resolution, writer-controlled: not ordered like entryId. */
  createdAt: Date;
  /** Raw values of the fields present on the row; null when the field was not written. */
  fields: Partial<Record<FieldKey, string | null>>;
}

export interface Feed {
  channel: FeedChannel;
  entries: FeedEntry[];
}

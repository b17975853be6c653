import { z } from 'zod';
import { ThingSpeakError } from './thingspeak-error';
import { fastFeedEntries } from './feed-fast-path';

/**
 * The body of `GET /channels/{id}/feeds.json`, validated and reduced to what ingestion needs.
 * Field values stay raw strings here; `parseFieldValue` turns them into numbers with a status.
 */
export { FIELD_KEYS, type FieldKey, type FeedChannel, type FeedEntry, type Feed } from './feed-types';
import { FIELD_KEYS, type FieldKey, type FeedEntry, type Feed } from './feed-types';

// Without a zone designator Date.parse would read the time in the server's local zone.
const ISO_TIMESTAMP_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

const timestampSchema = z
  .string()
  .refine((s) => ISO_TIMESTAMP_WITH_ZONE.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO 8601 timestamp with a zone',
  })
  .transform((s) => new Date(s));

// Devices write strings, but a JSON number is the same reading and must not reject the page.
const fieldValueSchema = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (typeof v === 'number' ? String(v) : v));

// Channel metadata is informative only: a strange label must not cost us the page of readings.
const lenientText = z.string().nullish().catch(null);

function eachField<T extends z.ZodType>(schema: T) {
  return {
    field1: schema,
    field2: schema,
    field3: schema,
    field4: schema,
    field5: schema,
    field6: schema,
    field7: schema,
    field8: schema,
  };
}

/** Unknown keys (latitude, elevation, description, status...) are stripped, never parsed. */
export const feedBodySchema = z.object({
  channel: z.object({
    id: z.number().int().positive(),
    name: lenientText,
    created_at: timestampSchema.nullish().catch(null),
    last_entry_id: z.number().int().nonnegative().nullish(),
    ...eachField(lenientText),
  }),
  feeds: z.array(
    z.object({
      created_at: timestampSchema,
      entry_id: z.number().int().positive(),
      ...eachField(fieldValueSchema),
    }),
  ),
});

export type FeedBody = z.infer<typeof feedBodySchema>;

/** Throws ThingSpeakError 'bad_response' (code THINGSPEAK_BAD_RESPONSE) when the body is not a feed. */
export function parseFeed(body: unknown): Feed {
  return parseWithFastRows(body) ?? parseFeedWithSchema(body);
}

/** parseFeed through the schema alone: the reference the fast path must agree with. */
export function parseFeedWithSchema(body: unknown): Feed {
  const result = feedBodySchema.safeParse(body);
  if (!result.success) {
    throw new ThingSpeakError('bad_response', `ThingSpeak feed body is not valid: ${summarise(result.error)}`);
  }
  const { channel, feeds } = result.data;
  const entries = feeds.map((row): FeedEntry => {
    const fields: Partial<Record<FieldKey, string | null>> = {};
    for (const key of FIELD_KEYS) {
      const value = row[key];
      if (value !== undefined) fields[key] = value;
    }
    return { entryId: row.entry_id, createdAt: row.created_at, fields };
  });
  return toFeed(channel, entries);
}

// The channel object is small: the schema checks it. The rows are many: the hand-written loop
// takes them when every row is plain, and the schema takes the whole body otherwise.
const channelOnlySchema = z.object({ channel: feedBodySchema.shape.channel });

function parseWithFastRows(body: unknown): Feed | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const entries = fastFeedEntries((body as { feeds?: unknown }).feeds, ISO_TIMESTAMP_WITH_ZONE);
  if (!entries) return undefined;
  const result = channelOnlySchema.safeParse(body);
  return result.success ? toFeed(result.data.channel, entries) : undefined;
}

function toFeed(channel: FeedBody['channel'], entries: FeedEntry[]): Feed {
  const fieldNames: Partial<Record<FieldKey, string>> = {};
  for (const key of FIELD_KEYS) {
    const label = channel[key];
    if (typeof label === 'string' && label !== '') fieldNames[key] = label;
  }

  return {
    channel: {
      id: channel.id,
      name: channel.name ?? null,
      lastEntryId: channel.last_entry_id ?? null,
      createdAt: channel.created_at ?? null,
      fieldNames,
    },
    entries,
  };
}

// Paths and zod's messages only: values are device data and could be huge.
function summarise(error: z.ZodError, max = 5): string {
  const lines = error.issues.slice(0, max).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  const more = error.issues.length > max ? ` (+${error.issues.length - max} more)` : '';
  return lines.join('; ') + more;
}

import { z } from 'zod';
import { ThingSpeakError } from './thingspeak-error';

/**
 * The body of `GET /channels/{id}/feeds.json`, validated and reduced to what ingestion needs.
 * Field values stay raw strings here; `parseFieldValue` turns them into numbers with a status.
 */
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
  const result = feedBodySchema.safeParse(body);
  if (!result.success) {
    throw new ThingSpeakError('bad_response', `ThingSpeak feed body is not valid: ${summarise(result.error)}`);
  }
  const { channel, feeds } = result.data;

  const fieldNames: Partial<Record<FieldKey, string>> = {};
  for (const key of FIELD_KEYS) {
    const label = channel[key];
    if (typeof label === 'string' && label !== '') fieldNames[key] = label;
  }

  const entries = feeds.map((row): FeedEntry => {
    const fields: Partial<Record<FieldKey, string | null>> = {};
    for (const key of FIELD_KEYS) {
      const value = row[key];
      if (value !== undefined) fields[key] = value;
    }
    return { entryId: row.entry_id, createdAt: row.created_at, fields };
  });

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

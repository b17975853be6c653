import { z } from 'zod';
import { ANALYTICS_TYPES, NODE_CATEGORIES, NODE_STATUSES } from './node-enums';
import { FIELD_KEYS } from '../thingspeak/feed';

export { ANALYTICS_TYPES, NODE_CATEGORIES, NODE_STATUSES };
export type NodeCategory = (typeof NODE_CATEGORIES)[number];
export type AnalyticsType = (typeof ANALYTICS_TYPES)[number];
export type NodeStatus = (typeof NODE_STATUSES)[number];

const positive = z.number().positive().max(100_000);
const unit = z.enum(['cm', 'm', 'ft', 'in']);

/** Units a flow meter may report its rate in; node stats integrate the rate in L/min unless the config says otherwise. */
export const FLOW_RATE_UNITS = ['L/s', 'L/min', 'L/h', 'm3/h'] as const;
export type FlowRateUnit = (typeof FLOW_RATE_UNITS)[number];

export const tankConfigSchema = z.discriminatedUnion('shape', [
  z.object({ shape: z.literal('rectangular'), unit, height: positive, length: positive, breadth: positive }).strict(),
  z.object({ shape: z.literal('cylinder'), unit, height: positive, radius: positive }).strict(),
]);

export const nodeConfigSchema = z
  .object({
    tank: tankConfigSchema.optional(),
    borewell: z
      .object({ staticDepthM: z.number().min(0).optional(), dynamicDepthM: z.number().min(0).optional(), rechargeThresholdM: z.number().min(0).optional() })
      .strict()
      .optional(),
    flow: z
      .object({ maxFlowRate: z.number().positive().optional(), pipeDiameterMm: z.number().positive().optional(), abnormalThreshold: z.number().positive().optional(), rateUnit: z.enum(FLOW_RATE_UNITS).optional() })
      .strict()
      .optional(),
    /** Alias in the field mapping that carries the value to derive from (distance, flow rate, depth). */
    primaryMetric: z.string().min(1).max(64).optional(),
  })
  .strict();
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

const fieldKey = z.enum(FIELD_KEYS);
const alias = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'aliases are letters, digits and _ (max 64), starting with a letter');

export const fieldMappingSchema = z
  .partialRecord(fieldKey, alias)
  .refine((m) => new Set(Object.values(m)).size === Object.values(m).length, 'two fields map to the same alias');

export const channelInputSchema = z
  .object({
    channelId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    readKey: z.string().min(1).max(64).regex(/^[A-Za-z0-9]+$/, 'ThingSpeak keys are letters and digits').optional(),
    fieldMapping: fieldMappingSchema.default({}),
    active: z.boolean().default(true),
  })
  .strict();

/**
 * A channel as PATCH lists it: an upsert. A new channelId is attached (mapping {} and active unless
 * given); a known one changes only what is sent, except `active`, which listing sets back to true
 * unless `active: false` is sent (listing a detached channel attaches it again, history intact).
 */
export const channelPatchSchema = z
  .object({
    channelId: channelInputSchema.shape.channelId,
    readKey: channelInputSchema.shape.readKey,
    fieldMapping: fieldMappingSchema.optional(),
    active: z.boolean().optional(),
  })
  .strict();
export type ChannelPatch = z.infer<typeof channelPatchSchema>;

export const createNodeSchema = z
  .object({
    nodeKey: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only'),
    label: z.string().trim().min(1).max(200),
    category: z.enum(NODE_CATEGORIES),
    analyticsType: z.enum(ANALYTICS_TYPES),
    communityId: z.string().uuid().optional(),
    config: nodeConfigSchema.default({}),
    lat: z.number().min(-90).max(90).nullable().optional(),
    lng: z.number().min(-180).max(180).nullable().optional(),
    locationName: z.string().max(200).nullable().optional(),
    expectedIntervalS: z.number().int().min(1).max(7 * 24 * 3600).default(900),
    channels: z.array(channelInputSchema).max(8).default([]),
  })
  .strict()
  .refine((n) => new Set(n.channels.map((c) => c.channelId)).size === n.channels.length, {
    message: 'the same channelId is listed twice',
    path: ['channels'],
  });
export type CreateNodeInput = z.infer<typeof createNodeSchema>;

export const updateNodeSchema = z
  .object({
    label: z.string().trim().min(1).max(200),
    category: z.enum(NODE_CATEGORIES),
    analyticsType: z.enum(ANALYTICS_TYPES),
    config: nodeConfigSchema,
    lat: z.number().min(-90).max(90).nullable(),
    lng: z.number().min(-180).max(180).nullable(),
    locationName: z.string().max(200).nullable(),
    expectedIntervalS: z.number().int().min(1).max(7 * 24 * 3600),
    /** Only Maintenance can be set by hand; Online/Offline come from the data. */
    maintenance: z.boolean(),
    active: z.boolean(),
    /**
     * Upserts the listed channels (see channelPatchSchema); channels left out are untouched, never
     * removed. Detaching is DELETE /nodes/{id}/channels/{channelId}.
     */
    channels: z
      .array(channelPatchSchema)
      .min(1, 'list the channels to add or change; leaving a channel out never removes it (detach one with DELETE /api/v1/nodes/{id}/channels/{channelId})')
      .max(8),
  })
  .partial()
  .strict()
  .refine((u) => Object.keys(u).length > 0, 'send at least one field to change')
  .refine((u) => !u.channels || new Set(u.channels.map((c) => c.channelId)).size === u.channels.length, {
    message: 'the same channelId is listed twice',
    path: ['channels'],
  });
export type UpdateNodeInput = z.infer<typeof updateNodeSchema>;

export interface ChannelSync {
  epoch: number;
  storedEntries: number;
  highestStoredEntryId: number;
  thingspeakLastEntryId: number | null;
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorCode: string | null;
  lastErrorAt: string | null;
  consecutiveFailures: number;
  missingEntries: number;
  clearedAt: string | null;
}

export interface NodeChannel {
  id: string;
  channelId: number;
  hasReadKey: boolean;
  fieldMapping: Record<string, string>;
  active: boolean;
  sync: ChannelSync;
}

export interface NodeView {
  id: string;
  nodeKey: string;
  label: string;
  category: NodeCategory;
  analyticsType: AnalyticsType;
  communityId: string;
  config: NodeConfig;
  lat: number | null;
  lng: number | null;
  locationName: string | null;
  status: NodeStatus;
  online: boolean;
  lastSeenAt: string | null;
  expectedIntervalS: number;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  state: {
    levelPct: number | null;
    volumeL: number | null;
    capacityL: number | null;
    flowRate: number | null;
    depthM: number | null;
    metrics: Record<string, number | null>;
    note: string | null;
    lastReadingAt: string | null;
  };
  channels: NodeChannel[];
}

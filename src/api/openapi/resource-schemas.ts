import { z } from 'zod';
import { ALERT_KINDS, ALERT_OPERATORS, ALERT_SEVERITIES, ALERT_STATUSES } from '../../shared/alerts/alert';
import { NOTIFICATION_STATUSES } from '../../shared/notifications/notification-status';
import { ANALYTICS_TYPES, NODE_CATEGORIES, NODE_STATUSES, nodeConfigSchema } from '../../shared/nodes/node';
import { NOTIFICATION_EVENTS } from '../../shared/notifications/notification-event';
import { timestamp, uuid } from './envelopes';
import { QUEUE_NAMES, type QueueName } from '../../shared/queues/queue-names';

/*
 * The shapes the API answers with, for the OpenAPI document only: handlers return repository
 * objects, and the OpenAPI test checks real answers against these schemas.
 */

const role = z.enum(['superadmin', 'distributor', 'customer']);

/** Who created an alert rule, maintenance window or webhook: it decides which keys may change it. */
const createdBySchema = z
  .object({
    keyId: uuid.nullable().meta({ description: 'The API key; null when a user created it, for rows from before creators were recorded, or once the key is deleted' }),
    userId: uuid.nullable().meta({ description: 'The signed-in user (Supabase user id); null when a key created it, or once the user is deleted' }),
    role: role.meta({ description: 'The key\'s or user\'s role; rows from before creators were recorded count as a superadmin\'s' }),
  })
  .meta({ description: 'A customer key may change only what it created; a distributor key what its or its customers\' keys created; a superadmin key anything' });

export const distributorSchema = z.object({ id: uuid, name: z.string(), createdAt: timestamp });

export const communitySchema = z.object({ id: uuid, slug: z.string(), name: z.string(), distributorId: uuid.nullable(), createdAt: timestamp });

export const apiKeySchema = z.object({
  id: uuid,
  prefix: z.string().meta({ description: 'The first characters of the key, to recognise it; the key itself is never shown again' }),
  label: z.string(),
  role,
  distributorId: uuid.nullable(),
  communityId: uuid.nullable(),
  createdAt: timestamp,
  expiresAt: timestamp.nullable().meta({ description: 'When the key stops working (401 API_KEY_EXPIRED); null: never' }),
  lastUsedAt: timestamp.nullable().meta({ description: 'Last successful use, written at most once a minute' }),
  revokedAt: timestamp.nullable(),
});

export const userSchema = z.object({
  id: uuid.meta({ description: 'The Supabase user id (the access token\'s sub)' }),
  email: z.string().nullable(),
  label: z.string().nullable(),
  role,
  distributorId: uuid.nullable(),
  communityId: uuid.nullable(),
  provisionedVia: z.enum(['api', 'app_metadata']).meta({ description: 'api: POST /users; app_metadata: on first sign-in (AUTH_TRUST_APP_METADATA)' }),
  disabledAt: timestamp.nullable().meta({ description: 'Set while the user is disabled (refused with 403 USER_DISABLED)' }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const meSchema = z.object({
  kind: z.enum(['user', 'api_key']),
  id: uuid.meta({ description: 'The user id (Supabase sub) or the API key id' }),
  role,
  scope: z.object({ distributorId: uuid.optional(), communityId: uuid.optional() }).meta({ description: 'distributorId for a distributor, communityId for a customer, nothing for a superadmin' }),
  label: z.string().nullable(),
  email: z.string().nullable().meta({ description: 'A user\'s email (from the token, else as provisioned); null for a key' }),
});

const channelSyncSchema = z.object({
  epoch: z.number().int(),
  storedEntries: z.number().int(),
  highestStoredEntryId: z.number().int(),
  thingspeakLastEntryId: z.number().int().nullable(),
  lastPollAt: timestamp.nullable(),
  lastSuccessAt: timestamp.nullable(),
  lastError: z.string().nullable(),
  lastErrorCode: z.string().nullable(),
  lastErrorAt: timestamp.nullable(),
  consecutiveFailures: z.number().int(),
  missingEntries: z.number().int(),
  clearedAt: timestamp.nullable(),
});

export const nodeSchema = z.object({
  id: uuid,
  nodeKey: z.string(),
  label: z.string(),
  category: z.enum(NODE_CATEGORIES),
  analyticsType: z.enum(ANALYTICS_TYPES),
  communityId: uuid,
  config: nodeConfigSchema,
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  locationName: z.string().nullable(),
  status: z.enum(NODE_STATUSES),
  online: z.boolean(),
  lastSeenAt: timestamp.nullable(),
  expectedIntervalS: z.number().int(),
  active: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
  state: z.object({
    levelPct: z.number().nullable(),
    volumeL: z.number().nullable(),
    capacityL: z.number().nullable(),
    flowRate: z.number().nullable(),
    depthM: z.number().nullable(),
    metrics: z.record(z.string(), z.number().nullable()),
    note: z.string().nullable(),
    lastReadingAt: timestamp.nullable(),
  }),
  channels: z.array(
    z.object({
      id: uuid,
      channelId: z.number().int(),
      hasReadKey: z.boolean().meta({ description: 'The read key is stored encrypted and never returned' }),
      fieldMapping: z.record(z.string(), z.string()),
      active: z.boolean(),
      sync: channelSyncSchema,
    }),
  ),
});

export const readingSchema = z.object({
  id: z.string().meta({ description: 'The reading\'s key, "<channel epoch id>-<entry id>": stable, unique among the node\'s readings' }),
  channelId: z.number().int(),
  epoch: z.number().int(),
  entryId: z.number().int(),
  recordedAt: timestamp,
  values: z
    .record(z.string(), z.object({ value: z.number().nullable(), status: z.string(), raw: z.string().nullable() }))
    .meta({ description: 'Per mapped alias (or fieldN when unmapped): the parsed number, or null with the reason' }),
});

export const pollAcceptedSchema = z.object({
  jobId: z.string().optional(),
  jobs: z.array(z.object({ jobId: z.string().optional(), nodeChannelId: uuid })),
  statusUrl: z.string(),
});

export const jobSchema = z.object({
  id: z.string().optional(),
  name: z.string(),
  queue: z.literal('poll'),
  nodeId: uuid,
  nodeChannelId: uuid.optional(),
  state: z.string().meta({ description: "BullMQ's state (waiting, active, delayed, completed, failed, ...); unknown: gone from the queue without its end recorded" }),
  attemptsMade: z.number().int(),
  maxAttempts: z.number().int(),
  failedReason: z.string().nullable(),
  result: z.unknown(),
  createdAt: timestamp,
  processedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

export const circuitSchema = z.object({
  state: z.enum(['closed', 'open', 'half_open']),
  failures: z.number().int(),
  threshold: z.number().int(),
  openedAt: timestamp.nullable(),
  nextProbeAt: timestamp.nullable(),
  reason: z.string().nullable(),
  transitions: z.array(z.object({ at: timestamp, from: z.enum(['closed', 'open']), to: z.enum(['closed', 'open']), reason: z.string() })),
});

export const alertRuleSchema = z.object({
  id: uuid,
  communityId: uuid,
  nodeId: uuid.nullable(),
  category: z.string().nullable(),
  name: z.string(),
  metric: z.string(),
  operator: z.enum(ALERT_OPERATORS),
  threshold: z.number(),
  clearThreshold: z.number().nullable(),
  forSeconds: z.number().int(),
  severity: z.enum(ALERT_SEVERITIES),
  cooldownSeconds: z.number().int(),
  enabled: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
  createdBy: createdBySchema,
});

export const alertSchema = z.object({
  id: uuid,
  nodeId: uuid,
  communityId: uuid,
  ruleId: uuid.nullable(),
  conditionKey: z.string(),
  kind: z.enum(ALERT_KINDS),
  severity: z.enum(ALERT_SEVERITIES),
  status: z.enum(ALERT_STATUSES),
  title: z.string(),
  message: z.string(),
  metric: z.string().nullable(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  triggeredAt: timestamp,
  openedAt: timestamp,
  catchUp: z.boolean(),
  notified: z.boolean(),
  acknowledgedAt: timestamp.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: timestamp.nullable(),
  resolvedBy: z.string().nullable(),
  resolveComment: z.string().nullable(),
  resolvedValue: z.number().nullable(),
});

export const alertListItemSchema = alertSchema.extend({ nodeLabel: z.string().describe("The alert's node's label, as it is now") });

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: timestamp,
  actorKeyId: uuid.nullable(),
  actorUserId: uuid.nullable().meta({ description: 'The signed-in user who acted (Supabase user id), when it was a user' }),
  actorLabel: z.string().nullable(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string(),
  communityId: uuid.nullable().meta({ description: 'The community the change belongs to; null for a system-wide change (seen by superadmins only)' }),
  details: z.record(z.string(), z.unknown()).meta({ description: 'What changed; never a secret (API keys, ThingSpeak read keys and webhook secrets are left out)' }),
});

export const alertWithAuditSchema = alertSchema.extend({ audit: z.array(auditEntrySchema) });

export const alertSummarySchema = z.object({
  unresolved: z.number().int(),
  bySeverity: z.object({ critical: z.number().int(), warning: z.number().int(), info: z.number().int() }),
  byStatus: z.object({ open: z.number().int(), acknowledged: z.number().int() }),
});

export const maintenanceWindowSchema = z.object({
  id: uuid,
  communityId: uuid,
  nodeId: uuid.nullable().meta({ description: 'null: every node of the community' }),
  startsAt: timestamp,
  endsAt: timestamp,
  reason: z.string(),
  createdBy: createdBySchema,
  createdByLabel: z.string().nullable().meta({ description: 'Label and prefix of the key that opened it' }),
  createdAt: timestamp,
});

export const webhookSchema = z.object({
  id: uuid,
  communityId: uuid.nullable(),
  distributorId: uuid.nullable(),
  url: z.string(),
  events: z.array(z.enum(NOTIFICATION_EVENTS)).meta({
    description:
      'alert.* carry the alert; system.degraded / system.recovered carry `{dependency, at, reason}`, dependency `database` (the DB breaker opened / closed) or `thingspeak` (a ThingSpeak-wide outage began / ended)',
  }),
  description: z.string().nullable(),
  active: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
  createdBy: createdBySchema,
});

export const webhookDeliverySchema = z.object({
  id: uuid,
  event: z.string(),
  eventKey: z.string(),
  alertId: uuid.nullable(),
  status: z.enum(NOTIFICATION_STATUSES),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastAttemptAt: timestamp.nullable(),
  deliveredAt: timestamp.nullable(),
  enqueuedAt: timestamp.nullable(),
  createdAt: timestamp,
  payload: z.object({ event: z.string(), occurredAt: timestamp, data: z.record(z.string(), z.unknown()) }),
});

export const wsTicketSchema = z.object({
  ticket: z.string(),
  expiresAt: timestamp,
  url: z.string().meta({ description: 'Where to open the socket: /api/v1/ws?ticket=...' }),
});

// latencyMs and error are for superadmin callers only (routes/health-detail-access.ts).
const dependencySchema = z.object({ status: z.enum(['up', 'down']), latencyMs: z.number().optional(), error: z.string().optional() });

const queueHealth = z.union([
  z.object({ paused: z.boolean(), waiting: z.number().int(), active: z.number().int(), delayed: z.number().int(), failed: z.number().int() }),
  z.object({ error: z.string() }),
]);

export const healthReportSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  services: z.object({
    database: dependencySchema.extend({
      status: z.enum(['up', 'busy', 'down']).meta({ description: 'busy: the database answers but a process\'s connection pool is full (jobs wait, polling slows; the breaker does not count it)' }),
    }),
    redis: dependencySchema,
    thingspeak: z.object({
      status: z.enum(['up', 'stale', 'outage', 'unknown']).meta({ description: 'outage: more than THINGSPEAK_OUTAGE_RATIO of polls fail with 5xx, timeouts or network errors for THINGSPEAK_OUTAGE_MS' }),
      lastSuccessAt: timestamp.nullable(),
    }),
    circuit: z.object({
      state: z.enum(['closed', 'open', 'half_open', 'unknown']),
      failures: z.number().int().nullable(),
      openedAt: timestamp.nullable(),
      nextProbeAt: timestamp.nullable(),
    }),
    queues: z.object(Object.fromEntries(QUEUE_NAMES.map((name) => [name, queueHealth])) as Record<QueueName, typeof queueHealth>),
  }),
  version: z.string(),
  uptime: z.number(),
  checkedAt: timestamp,
});

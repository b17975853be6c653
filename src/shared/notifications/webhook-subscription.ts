import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createAddressPolicy, hostProblem, type AddressPolicy } from '../net/address-policy';
import { NOTIFICATION_EVENTS, type NotificationEvent } from './notification-event';
import type { Principal } from '../tenancy/principal';

/** A webhook subscription as the API shows it: never its secret. */
export interface WebhookSubscription {
  id: string;
  /** Scope: one community, a distributor's communities, or (both null) everything. */
  communityId: string | null;
  distributorId: string | null;
  url: string;
  events: NotificationEvent[];
  description: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** The key that created it and its role: who may change it (tenancy/change-permission.ts). */
  createdBy: Principal;
}

/** 32 random bytes: what we hand out when the caller does not choose a secret. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Public addresses only: what applies when no allow-list is given. */
const PUBLIC_ONLY = createAddressPolicy({ allowedCidrs: [] });

export interface WebhookUrlRules {
  requireHttps: boolean;
  /** Which addresses a URL may name (WEBHOOK_ALLOWED_PRIVATE_CIDRS); public only when absent. */
  addressPolicy?: AddressPolicy;
}

/**
 * Why a webhook URL is refused, or undefined. Credentials in the URL would be shown by every GET
 * and written into logs; the signature is how a receiver authenticates us. Production refuses
 * plain http: the payload and the signature would travel in clear. A URL naming a non-public
 * address (or localhost) is refused here with the reason; host names are not resolved (an
 * answer now proves nothing about the answer at delivery time), the sender checks them then.
 */
export function webhookUrlProblem(raw: string, opts: WebhookUrlRules): string | undefined {
  if (!URL.canParse(raw)) return 'must be an absolute http(s) URL';
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use http or https';
  if (opts.requireHttps && url.protocol !== 'https:') return 'must use https in production';
  if (url.username || url.password) return 'must not contain credentials: receivers authenticate deliveries with the signature';
  if (url.hash) return 'must not contain a #fragment';
  const host = hostProblem(url.hostname, opts.addressPolicy ?? PUBLIC_ONLY);
  if (host) return `${host}; webhooks may only reach public addresses`;
  return undefined;
}

const secretField = z
  .string()
  .min(16, 'must be at least 16 characters')
  .max(256)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const eventsField = z
  .array(z.enum(NOTIFICATION_EVENTS))
  .min(1, 'give at least one event')
  .transform((events) => [...new Set(events)]);

/** Create and update bodies; the URL rules depend on the environment (https in production, the address allow-list). */
export function webhookSubscriptionSchemas(opts: WebhookUrlRules) {
  const urlField = z
    .string()
    .trim()
    .max(2048)
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value, opts);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
  const create = z
    .object({
      url: urlField,
      events: eventsField,
      /** Written only: generated when absent, shown once in the create response. */
      secret: secretField.optional(),
      description: z.string().trim().max(500).nullable().optional(),
      active: z.boolean().default(true),
      communityId: z.string().uuid().optional(),
      distributorId: z.string().uuid().optional(),
    })
    .strict()
    .refine((b) => !(b.communityId && b.distributorId), { message: 'give communityId or distributorId, not both', path: ['distributorId'] });
  const update = z
    .object({
      url: urlField.optional(),
      events: eventsField.optional(),
      /** Replaces the secret (rotation); never echoed. */
      secret: secretField.optional(),
      description: z.string().trim().max(500).nullable().optional(),
      active: z.boolean().optional(),
    })
    .strict()
    .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of url, events, secret, description, active' });
  return { create, update };
}

export type CreateWebhookSubscriptionInput = z.infer<ReturnType<typeof webhookSubscriptionSchemas>['create']>;
export type UpdateWebhookSubscriptionInput = z.infer<ReturnType<typeof webhookSubscriptionSchemas>['update']>;

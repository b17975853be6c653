import { z } from 'zod';
import { ALERT_KINDS, ALERT_OPERATORS, ALERT_SEVERITIES, ALERT_STATUSES } from './alert-enums';
import { NODE_CATEGORIES } from '../nodes/node';
import { validateRule } from './alert-rules';

export { ALERT_KINDS, ALERT_OPERATORS, ALERT_SEVERITIES, ALERT_STATUSES };
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface AlertRule {
  id: string;
  communityId: string;
  nodeId: string | null;
  category: string | null;
  name: string;
  metric: string;
  operator: (typeof ALERT_OPERATORS)[number];
  threshold: number;
  clearThreshold: number | null;
  forSeconds: number;
  severity: AlertSeverity;
  cooldownSeconds: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Alert {
  id: string;
  nodeId: string;
  communityId: string;
  ruleId: string | null;
  conditionKey: string;
  kind: AlertKind;
  severity: AlertSeverity;
  status: AlertStatus;
  title: string;
  message: string;
  metric: string | null;
  value: number | null;
  threshold: number | null;
  triggeredAt: Date;
  openedAt: Date;
  catchUp: boolean;
  /** Opening it notified someone; only then is its resolve notified too. */
  notified: boolean;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolveComment: string | null;
  resolvedValue: number | null;
}

const metric = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a field alias (e.g. "distance_cm"), a ThingSpeak field ("field2") or a derived value (level_pct, volume_l, flow_rate, depth_m)');

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  metric,
  operator: z.enum(ALERT_OPERATORS),
  threshold: z.number().finite(),
  clearThreshold: z.number().finite().nullable().optional(),
  /** How long the condition must hold before the alert opens ("for 5 minutes" = 300). */
  forSeconds: z.number().int().min(0).max(7 * 24 * 3600).default(0),
  severity: z.enum(ALERT_SEVERITIES),
  cooldownSeconds: z.number().int().min(0).max(30 * 24 * 3600).default(0),
  enabled: z.boolean().default(true),
};

function hysteresisProblem(r: { operator: AlertRule['operator']; threshold: number; clearThreshold?: number | null; forSeconds: number }): string | undefined {
  return validateRule({ operator: r.operator, threshold: r.threshold, clearThreshold: r.clearThreshold ?? undefined, forSeconds: r.forSeconds });
}

/** A rule on one node (nodeId), or on every node of a category in a community. */
export const createRuleSchema = z
  .object({
    nodeId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
    category: z.enum(NODE_CATEGORIES).optional(),
    ...ruleFields,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.nodeId && (r.category || r.communityId)) ctx.addIssue({ code: 'custom', path: ['nodeId'], message: 'give either nodeId, or category (with communityId), not both' });
    if (!r.nodeId && !r.category) ctx.addIssue({ code: 'custom', path: ['nodeId'], message: 'give nodeId for a node rule, or category (with communityId) for a category rule' });
    const problem = hysteresisProblem(r);
    if (problem) ctx.addIssue({ code: 'custom', path: ['clearThreshold'], message: problem });
  });
export type CreateRuleInput = z.infer<typeof createRuleSchema>;

export const updateRuleSchema = z
  .object({
    name: ruleFields.name.optional(),
    metric: ruleFields.metric.optional(),
    operator: ruleFields.operator.optional(),
    threshold: ruleFields.threshold.optional(),
    clearThreshold: ruleFields.clearThreshold,
    forSeconds: z.number().int().min(0).max(7 * 24 * 3600).optional(),
    severity: ruleFields.severity.optional(),
    cooldownSeconds: z.number().int().min(0).max(30 * 24 * 3600).optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change');
export type UpdateRuleInput = z.infer<typeof updateRuleSchema>;

/** The rule after a change, checked as a whole (a new threshold may contradict the old clear threshold). */
export function checkMergedRule(rule: Pick<AlertRule, 'operator' | 'threshold' | 'clearThreshold' | 'forSeconds'>): string | undefined {
  return hysteresisProblem(rule);
}

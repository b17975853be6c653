import type { AlertKind, AlertRule, AlertSeverity } from './alert';
import type { ThresholdRule } from './alert-rules';
import type { SampleMetrics } from './sample-metrics';

/**
 * Something evaluated over a node's readings in event-time order: a user's threshold rule, or the
 * built-in data-quality check of one field. Each has its own state row and at most one
 * unresolved alert, both keyed by `key`.
 */
export interface Condition {
  key: string;
  kind: Extract<AlertKind, 'threshold' | 'data_quality'>;
  ruleId: string | null;
  severity: AlertSeverity;
  cooldownSeconds: number;
  rule: ThresholdRule;
  metric: string;
  threshold: number | null;
  /** The number the rule compares, or null when this reading says nothing about it. */
  valueOf(sample: SampleMetrics): number | null;
  describe(value: number, nodeLabel: string): { title: string; message: string };
  describeClear(value: number): string;
}

export function ruleCondition(rule: AlertRule): Condition {
  const threshold: ThresholdRule = {
    operator: rule.operator,
    threshold: rule.threshold,
    clearThreshold: rule.clearThreshold ?? undefined,
    forSeconds: rule.forSeconds,
  };
  const forText = rule.forSeconds > 0 ? ` for ${formatDuration(rule.forSeconds)}` : '';
  return {
    key: rule.id,
    kind: 'threshold',
    ruleId: rule.id,
    severity: rule.severity,
    cooldownSeconds: rule.cooldownSeconds,
    rule: threshold,
    metric: rule.metric,
    threshold: rule.threshold,
    valueOf: (s) => {
      const v = s.values.get(rule.metric);
      return v === undefined || v === null ? null : v;
    },
    describe: (value, nodeLabel) => ({
      title: rule.name,
      message: `${nodeLabel}: ${rule.metric} is ${round(value)} (${rule.operator} ${rule.threshold}${forText})`,
    }),
    describeClear: (value) => `cleared: ${rule.metric} is ${round(value)}`,
  };
}

/**
 * One per mapped field: fires when the field has reported only garbage (NaN, infinite,
 * unparseable) for `afterMs`; clears at the first parseable value. Readings that did not write
 * the field say nothing.
 */
export function dataQualityConditions(aliases: string[], afterMs: number): Condition[] {
  return aliases.map((alias) => ({
    key: `data_quality:${alias}`,
    kind: 'data_quality' as const,
    ruleId: null,
    severity: 'warning' as const,
    cooldownSeconds: 0,
    rule: { operator: '==' as const, threshold: 1, forSeconds: Math.floor(afterMs / 1000) },
    metric: alias,
    threshold: null,
    valueOf: (s: SampleMetrics) => {
      const g = s.garbage.get(alias);
      return g === undefined ? null : g ? 1 : 0;
    },
    describe: (_value: number, nodeLabel: string) => ({
      title: `Bad data from ${alias}`,
      message: `${nodeLabel}: ${alias} has reported NaN or garbage for at least ${formatDuration(Math.floor(afterMs / 1000))}`,
    }),
    describeClear: () => `cleared: ${alias} reports numbers again`,
  }));
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Keys of built-in conditions that are not evaluated on readings (see condition-sweep.ts). */
export const OFFLINE_KEY = 'offline';
export function accessLostKey(nodeChannelId: string): string {
  return `access_lost:${nodeChannelId}`;
}

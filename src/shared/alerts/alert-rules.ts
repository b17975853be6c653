/**
 * Pure evaluation of one threshold rule over readings in event-time order (issue 4 builds the
 * alert engine on it). A rule fires when its condition has held for `forSeconds`, and resolves
 * only when the clear condition holds (hysteresis), so a value hovering at the threshold does not
 * open and close alerts repeatedly.
 */
export type Operator = '>' | '>=' | '<' | '<=' | '==' | '!=';

export interface ThresholdRule {
  operator: Operator;
  threshold: number;
  /** Value past which a firing rule resolves; defaults to "the condition no longer holds". */
  clearThreshold?: number;
  /** How long the condition must hold before firing (0: at once). */
  forSeconds: number;
}

export type RulePhase = { phase: 'normal' } | { phase: 'pending'; since: number } | { phase: 'firing'; since: number };

export interface RuleSample {
  at: number;
  value: number | null;
}

export type RuleEvent = { type: 'open'; at: number; value: number } | { type: 'resolve'; at: number; value: number };

export function breaches(op: Operator, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** Whether a firing rule may resolve on this value. */
export function clears(rule: ThresholdRule, value: number): boolean {
  if (rule.clearThreshold === undefined) return !breaches(rule.operator, value, rule.threshold);
  switch (rule.operator) {
    case '>':
    case '>=':
      return value < rule.clearThreshold;
    case '<':
    case '<=':
      return value > rule.clearThreshold;
    default:
      return !breaches(rule.operator, value, rule.threshold);
  }
}

/** A clear threshold on the wrong side of the threshold would resolve at once: refuse it. */
export function validateRule(rule: ThresholdRule): string | undefined {
  if (!Number.isFinite(rule.threshold)) return 'threshold must be a finite number';
  if (!(rule.forSeconds >= 0)) return 'forSeconds must be 0 or more';
  if (rule.clearThreshold === undefined) return undefined;
  if (rule.operator === '==' || rule.operator === '!=') return `clearThreshold is not allowed with ${rule.operator}`;
  if ((rule.operator === '>' || rule.operator === '>=') && !(rule.clearThreshold <= rule.threshold)) return 'for > and >=, clearThreshold must not be above threshold';
  if ((rule.operator === '<' || rule.operator === '<=') && !(rule.clearThreshold >= rule.threshold)) return 'for < and <=, clearThreshold must not be below threshold';
  return undefined;
}

/** Advances the rule's phase over `samples` (sorted by time); missing values change nothing. */
export function evaluateRule(rule: ThresholdRule, start: RulePhase, samples: RuleSample[]): { phase: RulePhase; events: RuleEvent[] } {
  let phase = start;
  const events: RuleEvent[] = [];
  for (const { at, value } of samples) {
    if (value === null || !Number.isFinite(value)) continue;
    const breach = breaches(rule.operator, value, rule.threshold);
    if (phase.phase === 'firing') {
      if (clears(rule, value)) {
        events.push({ type: 'resolve', at, value });
        phase = { phase: 'normal' };
      }
      continue;
    }
    if (!breach) {
      phase = { phase: 'normal' };
      continue;
    }
    const since = phase.phase === 'pending' ? phase.since : at;
    if (at - since >= rule.forSeconds * 1000) {
      events.push({ type: 'open', at, value });
      phase = { phase: 'firing', since: at };
    } else {
      phase = { phase: 'pending', since };
    }
  }
  return { phase, events };
}

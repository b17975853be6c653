/**
 * The alerting enums, owned here. The `alert_rules` and `alerts` CHECK constraints hold their own
 * frozen copies (see the alerting-tables migration); test/integration/db/domain-enums.test.ts fails
 * when the two drift apart.
 */

/** How urgent an alert (and the rule raising it) is. */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;

/** How a rule compares its metric with the threshold. */
export const ALERT_OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;

/** What raised an alert: a threshold rule, a node going offline, lost ThingSpeak access, or bad data. */
export const ALERT_KINDS = ['threshold', 'offline', 'access_lost', 'data_quality'] as const;

/** An alert's lifecycle: open, then optionally acknowledged, then resolved. */
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;

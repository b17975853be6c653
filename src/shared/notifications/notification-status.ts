/**
 * The notification statuses, owned here. The `notifications` CHECK constraint holds its own frozen
 * copy (see the alerting-tables migration); test/integration/db/domain-enums.test.ts fails when the
 * two drift apart.
 */

/** Where one webhook delivery stands: waiting (or retrying), delivered, or given up on. */
export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'failed'] as const;

import type { Role } from '../auth/scope';
import { ForbiddenError, ValidationError } from '../errors';

/** The longest window a customer key may open: enough for a repair; a longer silence is the distributor's call. */
export const CUSTOMER_MAX_WINDOW_DAYS = 7;

const DAY_MS = 86_400_000;

/**
 * Refuses a window the key's role may not open. A window for a whole community silences every
 * node in it, for everyone watching (the distributor's alerts and webhooks too), so it needs a
 * distributor or superadmin key; a customer key may silence single nodes, for at most a week.
 */
export function assertMayOpenWindow(role: Role, window: { nodeId: string | null; startsAt: Date; endsAt: Date }): void {
  if (role !== 'customer') return;
  if (window.nodeId === null) {
    throw new ForbiddenError(
      'A maintenance window for a whole community silences the alerts and webhooks of all its nodes, the distributor\'s included: it needs a distributor or superadmin key; a customer key may open windows for single nodes (give nodeId)',
    );
  }
  const latest = new Date(window.startsAt.getTime() + CUSTOMER_MAX_WINDOW_DAYS * DAY_MS);
  if (window.endsAt > latest) {
    const field = 'body.endsAt';
    const message = `a customer key may open windows of at most ${CUSTOMER_MAX_WINDOW_DAYS} days, so this one must end by ${latest.toISOString()}; a distributor or superadmin key may open longer ones`;
    throw new ValidationError(`Invalid body: ${field}: ${message}`, [{ field, message }]);
  }
}

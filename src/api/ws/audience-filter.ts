import type { Scope } from '../../shared/auth/scope';
import type { LiveAudience } from '../../shared/events/live-events';

/**
 * Whether a client with `scope` may receive an event meant for `audience`: the same rule the REST
 * routes apply to communities (superadmin all, distributor its communities, customer its own).
 * System events (`all`) go to everyone.
 */
export function canSee(scope: Scope, audience: LiveAudience): boolean {
  if (audience.kind === 'all') return true;
  switch (scope.role) {
    case 'superadmin':
      return true;
    case 'customer':
      return audience.communityId === scope.communityId;
    case 'distributor':
      return audience.distributorId !== null && audience.distributorId === scope.distributorId;
  }
}

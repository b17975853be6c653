import type { Knex } from 'knex';
import type { Scope } from '../auth/scope';

/**
 * Restricts a query to communities the scope may see. `communityColumn` is the qualified column
 * holding a community id (e.g. "nodes.community_id").
 */
export function whereCommunityInScope(qb: Knex.QueryBuilder, scope: Scope, communityColumn: string): Knex.QueryBuilder {
  switch (scope.role) {
    case 'superadmin':
      return qb;
    case 'customer':
      return qb.where(communityColumn, scope.communityId);
    case 'distributor':
      return qb.whereIn(communityColumn, (sub) => sub.select('id').from('communities').where('distributor_id', scope.distributorId));
  }
}

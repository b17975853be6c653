/** The roles an API key can have; the api_keys CHECK constraint holds a frozen copy (see the domain-enums test). */
export const ROLES = ['superadmin', 'distributor', 'customer'] as const;
export type Role = (typeof ROLES)[number];

/** What one API key may see. Every repository query that reads tenant data filters by it (db/scope-filter.ts). */
export type Scope =
  | { role: 'superadmin' }
  | { role: 'distributor'; distributorId: string }
  | { role: 'customer'; communityId: string };

// The scope's roles and ROLES must be the same set; tsc fails here when they drift apart.
const _sameRoles: [Scope['role']] extends [Role] ? ([Role] extends [Scope['role']] ? true : never) : never = true;
void _sameRoles;

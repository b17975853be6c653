import { ROLES, type Role, type Scope } from '../auth/scope';

/**
 * Who acts or who created something: an API key and its role. The key id is null once the key is
 * deleted (the role stays). When users (Supabase JWT) arrive, a `userId` joins these two.
 */
export interface Principal {
  keyId: string | null;
  role: Role;
}

/** The principal of an authenticated key. */
export function principalOf(key: { id: string }, scope: Scope): Principal {
  return { keyId: key.id, role: scope.role };
}

/** The creator columns (created_by_key_id, created_by_role) every owned table has. */
export interface CreatorColumns {
  created_by_key_id: string | null;
  created_by_role: string;
}

/**
 * The creator of a row. Fails closed: a role this code does not know (written by hand, or by a
 * newer version) counts as a superadmin's, so no tenant can change the row.
 */
export function creatorOfRow(r: CreatorColumns): Principal {
  const role = (ROLES as readonly string[]).includes(r.created_by_role) ? (r.created_by_role as Role) : 'superadmin';
  return { keyId: r.created_by_key_id, role };
}

export function creatorColumns(p: Principal): CreatorColumns {
  return { created_by_key_id: p.keyId, created_by_role: p.role };
}

import { ROLES, type Role } from '../auth/scope';

/**
 * Who acts or who created something: an API key or a signed-in user, and its role. Exactly one of
 * keyId and userId is set while the key or user exists; both are null once it is deleted (the
 * role stays).
 */
export interface Principal {
  keyId: string | null;
  userId: string | null;
  role: Role;
}

/** The creator columns (created_by_key_id, created_by_user_id, created_by_role) every owned table has. */
export interface CreatorColumns {
  created_by_key_id: string | null;
  /** Absent in rows read before the users migration ran. */
  created_by_user_id?: string | null;
  created_by_role: string;
}

/**
 * The creator of a row. Fails closed: a role this code does not know (written by hand, or by a
 * newer version) counts as a superadmin's, so no tenant can change the row.
 */
export function creatorOfRow(r: CreatorColumns): Principal {
  const role = (ROLES as readonly string[]).includes(r.created_by_role) ? (r.created_by_role as Role) : 'superadmin';
  return { keyId: r.created_by_key_id, userId: r.created_by_user_id ?? null, role };
}

export function creatorColumns(p: Principal): CreatorColumns {
  return { created_by_key_id: p.keyId, created_by_user_id: p.userId, created_by_role: p.role };
}

/** The same key, or the same user (never a key and a user, never two deleted ones). */
export function samePrincipal(a: Principal, b: Principal): boolean {
  return (a.keyId !== null && a.keyId === b.keyId) || (a.userId !== null && a.userId === b.userId);
}

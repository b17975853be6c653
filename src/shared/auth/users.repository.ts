import type { Db } from '../db/knex';
import type { Conn } from '../db/transaction';
import { whereCommunityInScope } from '../db/scope-filter';
import type { Role, Scope } from './scope';

/** A person who signs in with Supabase: the token's `sub`, with the role and scope this API gives it. */
export interface UserRecord {
  id: string;
  email: string | null;
  label: string | null;
  role: Role;
  distributorId: string | null;
  communityId: string | null;
  /** 'api' (POST /users) or 'app_metadata' (provisioned on first sight, AUTH_TRUST_APP_METADATA). */
  provisionedVia: 'api' | 'app_metadata';
  /** Set: the user is refused (403 USER_DISABLED) until enabled again. */
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface UserRow {
  id: string;
  email: string | null;
  label: string | null;
  role: Role;
  distributor_id: string | null;
  community_id: string | null;
  provisioned_via: 'api' | 'app_metadata';
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toRecord = (r: UserRow): UserRecord => ({
  id: r.id,
  email: r.email,
  label: r.label,
  role: r.role,
  distributorId: r.distributor_id,
  communityId: r.community_id,
  provisionedVia: r.provisioned_via,
  disabledAt: r.disabled_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** What POST /users (or a first sight with trusted app_metadata) gives a new user. */
export type NewUser = Pick<UserRecord, 'id' | 'email' | 'label' | 'role' | 'distributorId' | 'communityId'>;

export interface UserChange {
  email?: string | null;
  label?: string | null;
  role?: Role;
  distributorId?: string | null;
  communityId?: string | null;
  disabled?: boolean;
}

/**
 * Users a scope may manage: every user for a superadmin, a distributor's customers (users of its
 * communities) for a distributor, nobody for a customer.
 */
function whereManageable(qb: ReturnType<Conn>, scope: Scope): ReturnType<Conn> {
  if (scope.role === 'superadmin') return qb;
  if (scope.role === 'customer') return qb.whereRaw('false');
  return whereCommunityInScope(qb.where('users.role', 'customer'), scope, 'users.community_id');
}

export function createUsersRepository(db: Db) {
  return {
    async findById(id: string): Promise<UserRecord | undefined> {
      const row: UserRow | undefined = await db('users').where({ id }).first();
      return row ? toRecord(row) : undefined;
    },

    /** The users with these ids (the live sockets' periodic re-check); missing ids were deleted. */
    async findByIds(ids: readonly string[]): Promise<UserRecord[]> {
      if (ids.length === 0) return [];
      const rows: UserRow[] = await db('users').whereIn('id', ids);
      return rows.map(toRecord);
    },

    /** The user if `scope` may manage it; `forUpdate` locks the row for the caller's transaction. */
    async findManageable(scope: Scope, id: string, conn: Conn = db, forUpdate = false): Promise<UserRecord | undefined> {
      const q = whereManageable(conn('users').where('users.id', id), scope);
      const row: UserRow | undefined = await (forUpdate ? q.forUpdate() : q).first();
      return row ? toRecord(row) : undefined;
    },

    async list(scope: Scope): Promise<UserRecord[]> {
      const rows: UserRow[] = await whereManageable(db('users').select('users.*'), scope).orderBy('users.created_at').orderBy('users.id');
      return rows.map(toRecord);
    },

    /** The new user, or 'exists' when a user with this id is already here. */
    async create(input: NewUser, via: UserRecord['provisionedVia'] = 'api', conn: Conn = db): Promise<UserRecord | 'exists'> {
      const rows: UserRow[] = await conn('users')
        .insert({
          id: input.id,
          email: input.email,
          label: input.label,
          role: input.role,
          distributor_id: input.distributorId,
          community_id: input.communityId,
          provisioned_via: via,
        })
        .onConflict('id')
        .ignore()
        .returning('*');
      return rows[0] ? toRecord(rows[0]) : 'exists';
    },

    async update(id: string, change: UserChange, conn: Conn = db): Promise<UserRecord | undefined> {
      const patch: Record<string, unknown> = { updated_at: conn.fn.now() };
      if (change.email !== undefined) patch.email = change.email;
      if (change.label !== undefined) patch.label = change.label;
      if (change.role !== undefined) patch.role = change.role;
      if (change.distributorId !== undefined) patch.distributor_id = change.distributorId;
      if (change.communityId !== undefined) patch.community_id = change.communityId;
      if (change.disabled !== undefined) patch.disabled_at = change.disabled ? conn.raw('coalesce(disabled_at, now())') : null;
      const [row]: UserRow[] = await conn('users').where({ id }).update(patch).returning('*');
      return row ? toRecord(row) : undefined;
    },

    async delete(id: string, conn: Conn = db): Promise<boolean> {
      return (await conn('users').where({ id }).delete()) > 0;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;

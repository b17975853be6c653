import type { Conn } from '../db/transaction';
import type { Scope } from '../auth/scope';
import { whereCommunityInScope } from '../db/scope-filter';

/** Who acted: an API key (keyId) or a signed-in user (userId), named by label (key label and prefix, or the user's email and id). */
export interface AuditActor {
  keyId: string | null;
  userId?: string | null;
  label: string;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actorKeyId: string | null;
  actorUserId: string | null;
  actorLabel: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  /** The community the change belongs to (what scopes the entry); null for system-wide changes (superadmins only). */
  communityId: string | null;
  details: Record<string, unknown>;
}

/** An `audit_log` row as Postgres returns it. */
interface AuditLogRow {
  /** bigserial. */
  id: string;
  at: Date;
  actor_key_id: string | null;
  /** Absent in rows read before the users migration ran. */
  actor_user_id?: string | null;
  actor_label: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  community_id: string | null;
  details: Record<string, unknown>;
}

const toAuditEntry = (r: AuditLogRow): AuditEntry => ({
  id: Number(r.id),
  at: r.at,
  actorKeyId: r.actor_key_id,
  actorUserId: r.actor_user_id ?? null,
  actorLabel: r.actor_label,
  action: r.action,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  communityId: r.community_id,
  details: r.details,
});

/** Who did what to which resource; written in the same transaction as the change it records. */
export async function recordAudit(
  conn: Conn,
  e: { actor: AuditActor; action: string; resourceType: string; resourceId: string; communityId: string | null; details?: Record<string, unknown>; at?: Date },
): Promise<void> {
  await conn('audit_log').insert({
    at: e.at ?? conn.fn.now(),
    actor_key_id: e.actor.keyId,
    actor_user_id: e.actor.userId ?? null,
    actor_label: e.actor.label,
    action: e.action,
    resource_type: e.resourceType,
    resource_id: e.resourceId,
    community_id: e.communityId,
    details: e.details ?? {},
  });
}

export async function auditTrail(conn: Conn, resourceType: string, resourceId: string): Promise<AuditEntry[]> {
  const rows: AuditLogRow[] = await conn('audit_log').where({ resource_type: resourceType, resource_id: resourceId }).orderBy('id');
  return rows.map(toAuditEntry);
}

/** What GET /audit filters on; every filter given must hold. */
export interface AuditFilter {
  /** An API key id or a user id: entries that key or that user made. */
  actor?: string;
  /** An exact action ("node.create"), or every action under a prefix ending in "." ("node."). */
  action?: { exact: string } | { prefix: string };
  resourceType?: string;
  resourceId?: string;
  /** One community's entries (within the scope: another's yield nothing). */
  communityId?: string;
  /** Written at or after. */
  from?: Date;
  /** Written before. */
  to?: Date;
}

/** LIKE treats these as wildcards; an action prefix must match them literally. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * A page of the entries the scope may see, newest first (by id: the order they were written),
 * keyset paged after the last id of the previous page. An entry with no community is system-wide:
 * only a superadmin sees it (whereCommunityInScope drops null communities for every other scope).
 */
export async function listAuditEntries(
  conn: Conn,
  scope: Scope,
  filter: AuditFilter,
  page: { limit: number; beforeId?: number },
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const q = conn('audit_log');
  if (scope.role === 'distributor') {
    // Its community ids as a list rather than a subquery: the planner then sees how many entries
    // they hold, and a small distributor's page reads its own entries (the community index), not
    // the whole log backwards (900 ms on 1M entries for 20 matches with the subquery).
    const communityIds: string[] = await conn('communities').where('distributor_id', scope.distributorId).pluck('id');
    if (communityIds.length === 0) return { items: [], nextCursor: null };
    q.whereIn('community_id', communityIds);
  } else {
    whereCommunityInScope(q, scope, 'audit_log.community_id');
  }
  if (filter.actor) {
    const actor = filter.actor;
    q.where((w) => w.where('actor_key_id', actor).orWhere('actor_user_id', actor));
  }
  if (filter.action && 'exact' in filter.action) q.where('action', filter.action.exact);
  // text_pattern_ops index (see the audit_log filter migration): a LIKE prefix uses it.
  if (filter.action && 'prefix' in filter.action) q.where('action', 'like', `${escapeLike(filter.action.prefix)}%`);
  if (filter.resourceType) q.where('resource_type', filter.resourceType);
  if (filter.resourceId) q.where('resource_id', filter.resourceId);
  if (filter.communityId) q.where('community_id', filter.communityId);
  if (filter.from) q.where('at', '>=', filter.from);
  if (filter.to) q.where('at', '<', filter.to);
  if (page.beforeId !== undefined) q.where('id', '<', page.beforeId);
  const rows: AuditLogRow[] = await q.select('audit_log.*').orderBy('id', 'desc').limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(toAuditEntry);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > page.limit && last ? encodeAuditCursor(last.id) : null };
}

/** Opaque to clients: the id of the last entry shown. */
export function encodeAuditCursor(id: number): string {
  return Buffer.from(JSON.stringify({ before: id })).toString('base64url');
}

export function decodeAuditCursor(cursor: string): { beforeId: number } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { before?: unknown } | null;
    const id = parsed?.before;
    return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? { beforeId: id } : undefined;
  } catch {
    return undefined;
  }
}

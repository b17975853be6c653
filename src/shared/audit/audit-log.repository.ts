import type { Conn } from '../db/transaction';

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

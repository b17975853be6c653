import type { Knex } from 'knex';

type Conn = Knex | Knex.Transaction;

export interface AuditActor {
  keyId: string | null;
  label: string;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actorKeyId: string | null;
  actorLabel: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  details: Record<string, unknown>;
}

/** Who did what to which resource; written in the same transaction as the change it records. */
export async function recordAudit(
  conn: Conn,
  e: { actor: AuditActor; action: string; resourceType: string; resourceId: string; communityId: string | null; details?: Record<string, unknown>; at?: Date },
): Promise<void> {
  await conn('audit_log').insert({
    at: e.at ?? conn.fn.now(),
    actor_key_id: e.actor.keyId,
    actor_label: e.actor.label,
    action: e.action,
    resource_type: e.resourceType,
    resource_id: e.resourceId,
    community_id: e.communityId,
    details: e.details ?? {},
  });
}

export async function auditTrail(conn: Conn, resourceType: string, resourceId: string): Promise<AuditEntry[]> {
  const rows = (await conn('audit_log').where({ resource_type: resourceType, resource_id: resourceId }).orderBy('id')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at as Date,
    actorKeyId: (r.actor_key_id as string | null) ?? null,
    actorLabel: (r.actor_label as string | null) ?? null,
    action: r.action as string,
    resourceType: r.resource_type as string,
    resourceId: r.resource_id as string,
    details: (r.details as Record<string, unknown>) ?? {},
  }));
}

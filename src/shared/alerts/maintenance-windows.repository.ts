import type { Db } from '../db/knex';
import type { Conn } from '../db/transaction';
import type { Scope } from '../auth/scope';
import { whereCommunityInScope } from '../db/scope-filter';
import { creatorColumns, creatorOfRow, type CreatorColumns, type Principal } from '../tenancy/principal';

export interface MaintenanceWindow {
  id: string;
  communityId: string;
  /** null: every node of the community. */
  nodeId: string | null;
  startsAt: Date;
  endsAt: Date;
  reason: string;
  /** The key that opened it and its role: who may delete it (tenancy/change-permission.ts). */
  createdBy: Principal;
  /** That key's label and prefix when it opened the window, for people reading the list. */
  createdByLabel: string | null;
  createdAt: Date;
}

/** A `maintenance_windows` row as Postgres returns it. */
interface MaintenanceWindowRow extends CreatorColumns {
  id: string;
  community_id: string;
  node_id: string | null;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  created_by: string | null;
  created_at: Date;
}

function toWindow(r: MaintenanceWindowRow): MaintenanceWindow {
  return {
    id: r.id,
    communityId: r.community_id,
    nodeId: r.node_id,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    reason: r.reason,
    createdBy: creatorOfRow(r),
    createdByLabel: r.created_by,
    createdAt: r.created_at,
  };
}

/** Whether `at` (ms) falls in one of the windows: [startsAt, endsAt). */
export function inMaintenance(windows: readonly MaintenanceWindow[], at: number): boolean {
  return windows.some((w) => w.startsAt.getTime() <= at && at < w.endsAt.getTime());
}

export function createMaintenanceWindowsRepository(db: Db) {
  const scoped = (conn: Conn, scope: Scope) => whereCommunityInScope(conn('maintenance_windows'), scope, 'maintenance_windows.community_id');

  return {
    /** Without `createdBy` (seeds, tests) the row counts as a superadmin's: no tenant can delete it. */
    async create(
      input: { communityId: string; nodeId: string | null; startsAt: Date; endsAt: Date; reason: string; createdBy?: Principal; createdByLabel?: string },
      conn: Conn = db,
    ): Promise<MaintenanceWindow> {
      const [row]: MaintenanceWindowRow[] = await conn('maintenance_windows')
        .insert({
          ...(input.createdBy ? creatorColumns(input.createdBy) : {}),
          community_id: input.communityId,
          node_id: input.nodeId,
          starts_at: input.startsAt,
          ends_at: input.endsAt,
          reason: input.reason,
          created_by: input.createdByLabel ?? null,
        })
        .returning('*');
      return toWindow(row!);
    },

    /** Windows of the community (its nodes' and its own) that have not ended at `now`: what the per-community cap counts. */
    async countNotEnded(conn: Conn, communityId: string, now: Date): Promise<number> {
      const [row] = await conn('maintenance_windows').where({ community_id: communityId }).where('ends_at', '>', now).count<{ count: string }[]>('id as count');
      return Number(row?.count ?? 0);
    },

    async get(scope: Scope, id: string, conn: Conn = db): Promise<MaintenanceWindow | undefined> {
      const row: MaintenanceWindowRow | undefined = await scoped(conn, scope).where('maintenance_windows.id', id).first('maintenance_windows.*');
      return row ? toWindow(row) : undefined;
    },

    async list(scope: Scope, f: { nodeId?: string; communityId?: string; activeAt?: Date; includePast: boolean }, page: { limit: number; offset: number }) {
      const q = scoped(db, scope);
      if (f.nodeId) q.where((w) => w.where('maintenance_windows.node_id', f.nodeId!).orWhereNull('maintenance_windows.node_id'));
      if (f.communityId) q.where('maintenance_windows.community_id', f.communityId);
      if (f.activeAt) q.where('maintenance_windows.starts_at', '<=', f.activeAt).where('maintenance_windows.ends_at', '>', f.activeAt);
      else if (!f.includePast) q.where('maintenance_windows.ends_at', '>', new Date());
      const [rows, count]: [MaintenanceWindowRow[], Array<{ count: string }>] = await Promise.all([
        q.clone().select('maintenance_windows.*').orderBy([{ column: 'maintenance_windows.starts_at' }, { column: 'maintenance_windows.id' }]).limit(page.limit).offset(page.offset),
        q.clone().count<{ count: string }[]>('maintenance_windows.id as count'),
      ]);
      return { items: rows.map(toWindow), total: Number(count[0]?.count ?? 0) };
    },

    async delete(id: string, conn: Conn = db): Promise<void> {
      await conn('maintenance_windows').where({ id }).delete();
    },

    /** Windows of a node (its own and its community's) that overlap [from, to]. */
    async overlapping(conn: Conn, node: { id: string; communityId: string }, from: Date, to: Date): Promise<MaintenanceWindow[]> {
      const rows: MaintenanceWindowRow[] = await conn('maintenance_windows')
        .where('community_id', node.communityId)
        .where((w) => w.where('node_id', node.id).orWhereNull('node_id'))
        .where('starts_at', '<=', to)
        .where('ends_at', '>', from);
      return rows.map(toWindow);
    },
  };
}

export type MaintenanceWindowsRepository = ReturnType<typeof createMaintenanceWindowsRepository>;

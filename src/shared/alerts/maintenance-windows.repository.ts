import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { whereCommunityInScope, type Scope } from '../auth/scope';

type Conn = Knex | Knex.Transaction;

export interface MaintenanceWindow {
  id: string;
  communityId: string;
  /** null: every node of the community. */
  nodeId: string | null;
  startsAt: Date;
  endsAt: Date;
  reason: string;
  createdBy: string | null;
  createdAt: Date;
}

function toWindow(r: Record<string, unknown>): MaintenanceWindow {
  return {
    id: r.id as string,
    communityId: r.community_id as string,
    nodeId: (r.node_id as string | null) ?? null,
    startsAt: r.starts_at as Date,
    endsAt: r.ends_at as Date,
    reason: r.reason as string,
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/** Whether `at` (ms) falls in one of the windows: [startsAt, endsAt). */
export function inMaintenance(windows: readonly MaintenanceWindow[], at: number): boolean {
  return windows.some((w) => w.startsAt.getTime() <= at && at < w.endsAt.getTime());
}

export function createMaintenanceWindowsRepository(db: Db) {
  const scoped = (conn: Conn, scope: Scope) => whereCommunityInScope(conn('maintenance_windows'), scope, 'maintenance_windows.community_id');

  return {
    async create(input: { communityId: string; nodeId: string | null; startsAt: Date; endsAt: Date; reason: string; createdBy: string }, conn: Conn = db): Promise<MaintenanceWindow> {
      const [row] = (await conn('maintenance_windows')
        .insert({ community_id: input.communityId, node_id: input.nodeId, starts_at: input.startsAt, ends_at: input.endsAt, reason: input.reason, created_by: input.createdBy })
        .returning('*')) as Array<Record<string, unknown>>;
      return toWindow(row!);
    },

    async get(scope: Scope, id: string, conn: Conn = db): Promise<MaintenanceWindow | undefined> {
      const row = await scoped(conn, scope).where('maintenance_windows.id', id).first('maintenance_windows.*');
      return row ? toWindow(row) : undefined;
    },

    async list(scope: Scope, f: { nodeId?: string; communityId?: string; activeAt?: Date; includePast: boolean }, page: { limit: number; offset: number }) {
      const q = scoped(db, scope);
      if (f.nodeId) q.where((w) => w.where('maintenance_windows.node_id', f.nodeId!).orWhereNull('maintenance_windows.node_id'));
      if (f.communityId) q.where('maintenance_windows.community_id', f.communityId);
      if (f.activeAt) q.where('maintenance_windows.starts_at', '<=', f.activeAt).where('maintenance_windows.ends_at', '>', f.activeAt);
      else if (!f.includePast) q.where('maintenance_windows.ends_at', '>', new Date());
      const [rows, count] = await Promise.all([
        q.clone().select('maintenance_windows.*').orderBy([{ column: 'maintenance_windows.starts_at' }, { column: 'maintenance_windows.id' }]).limit(page.limit).offset(page.offset),
        q.clone().count<{ count: string }[]>('maintenance_windows.id as count'),
      ]);
      return { items: (rows as Array<Record<string, unknown>>).map(toWindow), total: Number(count[0]?.count ?? 0) };
    },

    async delete(id: string, conn: Conn = db): Promise<void> {
      await conn('maintenance_windows').where({ id }).delete();
    },

    /** Windows of a node (its own and its community's) that overlap [from, to]. */
    async overlapping(conn: Conn, node: { id: string; communityId: string }, from: Date, to: Date): Promise<MaintenanceWindow[]> {
      const rows = (await conn('maintenance_windows')
        .where('community_id', node.communityId)
        .where((w) => w.where('node_id', node.id).orWhereNull('node_id'))
        .where('starts_at', '<=', to)
        .where('ends_at', '>', from)) as Array<Record<string, unknown>>;
      return rows.map(toWindow);
    },
  };
}

export type MaintenanceWindowsRepository = ReturnType<typeof createMaintenanceWindowsRepository>;

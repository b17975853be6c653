import type { Db } from '../db/knex';
import type { Conn } from '../db/transaction';
import type { CommunityRow } from '../db/tables';
import type { Scope } from '../auth/scope';
import { whereCommunityInScope } from '../db/scope-filter';

export interface Community {
  id: string;
  slug: string;
  name: string;
  distributorId: string | null;
  createdAt: string;
}

export interface Distributor {
  id: string;
  name: string;
  createdAt: string;
}

/** A `distributors` row as Postgres returns it. */
interface DistributorRow {
  id: string;
  name: string;
  created_at: Date;
}

const toCommunity = (r: CommunityRow): Community => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  distributorId: r.distributor_id,
  createdAt: r.created_at.toISOString(),
});

const toDistributor = (r: DistributorRow): Distributor => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString() });

export function createCommunitiesRepository(db: Db) {
  return {
    async create(input: { slug: string; name: string; distributorId: string | null }, conn: Conn = db): Promise<Community | 'slug_taken'> {
      const rows: CommunityRow[] = await conn('communities')
        .insert({ slug: input.slug, name: input.name, distributor_id: input.distributorId })
        .onConflict('slug')
        .ignore()
        .returning('*');
      return rows[0] ? toCommunity(rows[0]) : 'slug_taken';
    },

    async list(scope: Scope, page: { limit: number; offset: number }): Promise<{ items: Community[]; total: number }> {
      const base = whereCommunityInScope(db('communities'), scope, 'communities.id');
      const [rows, count]: [CommunityRow[], Array<{ count: string }>] = await Promise.all([
        base.clone().select('*').orderBy('slug').limit(page.limit).offset(page.offset),
        base.clone().count<{ count: string }[]>('* as count'),
      ]);
      return { items: rows.map(toCommunity), total: Number(count[0]?.count ?? 0) };
    },

    async findInScope(scope: Scope, id: string): Promise<Community | undefined> {
      const row: CommunityRow | undefined = await whereCommunityInScope(db('communities').where('communities.id', id), scope, 'communities.id').first();
      return row ? toCommunity(row) : undefined;
    },

    async findBySlug(slug: string): Promise<Community | undefined> {
      const row: CommunityRow | undefined = await db('communities').where({ slug }).first();
      return row ? toCommunity(row) : undefined;
    },

    async createDistributor(name: string, conn: Conn = db): Promise<Distributor | 'name_taken'> {
      const rows: DistributorRow[] = await conn('distributors').insert({ name }).onConflict('name').ignore().returning('*');
      return rows[0] ? toDistributor(rows[0]) : 'name_taken';
    },

    async listDistributors(): Promise<Distributor[]> {
      const rows: DistributorRow[] = await db('distributors').select('*').orderBy('name');
      return rows.map(toDistributor);
    },

    async distributorExists(id: string): Promise<boolean> {
      return Boolean(await db('distributors').where({ id }).first('id'));
    },
  };
}

export type CommunitiesRepository = ReturnType<typeof createCommunitiesRepository>;

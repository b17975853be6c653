import type { Db } from '../db/knex';
import { whereCommunityInScope, type Scope } from '../auth/scope';

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

interface CommunityRow {
  id: string;
  slug: string;
  name: string;
  distributor_id: string | null;
  created_at: Date;
}

const toCommunity = (r: CommunityRow): Community => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  distributorId: r.distributor_id,
  createdAt: r.created_at.toISOString(),
});

export function createCommunitiesRepository(db: Db) {
  return {
    async create(input: { slug: string; name: string; distributorId: string | null }): Promise<Community | 'slug_taken'> {
      const rows = await db('communities')
        .insert({ slug: input.slug, name: input.name, distributor_id: input.distributorId })
        .onConflict('slug')
        .ignore()
        .returning('*');
      return rows[0] ? toCommunity(rows[0] as CommunityRow) : 'slug_taken';
    },

    async list(scope: Scope, page: { limit: number; offset: number }): Promise<{ items: Community[]; total: number }> {
      const base = whereCommunityInScope(db('communities'), scope, 'communities.id');
      const [rows, count] = await Promise.all([
        base.clone().select('*').orderBy('slug').limit(page.limit).offset(page.offset),
        base.clone().count<{ count: string }[]>('* as count'),
      ]);
      return { items: (rows as CommunityRow[]).map(toCommunity), total: Number(count[0]?.count ?? 0) };
    },

    async findInScope(scope: Scope, id: string): Promise<Community | undefined> {
      const row = await whereCommunityInScope(db('communities').where('communities.id', id), scope, 'communities.id').first();
      return row ? toCommunity(row as CommunityRow) : undefined;
    },

    async findBySlug(slug: string): Promise<Community | undefined> {
      const row = await db('communities').where({ slug }).first();
      return row ? toCommunity(row as CommunityRow) : undefined;
    },

    async createDistributor(name: string): Promise<Distributor | 'name_taken'> {
      const rows = await db('distributors').insert({ name }).onConflict('name').ignore().returning('*');
      const r = rows[0] as { id: string; name: string; created_at: Date } | undefined;
      return r ? { id: r.id, name: r.name, createdAt: r.created_at.toISOString() } : 'name_taken';
    },

    async listDistributors(): Promise<Distributor[]> {
      const rows = (await db('distributors').select('*').orderBy('name')) as Array<{ id: string; name: string; created_at: Date }>;
      return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString() }));
    },

    async distributorExists(id: string): Promise<boolean> {
      return Boolean(await db('distributors').where({ id }).first('id'));
    },
  };
}

export type CommunitiesRepository = ReturnType<typeof createCommunitiesRepository>;

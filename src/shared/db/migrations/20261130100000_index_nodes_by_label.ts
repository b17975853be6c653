import type { Knex } from 'knex';

/**
 * The node list is sorted by (label, id) and paged by keyset on it: with this index a page anywhere
 * in a 10,000-node fleet reads its 50 rows instead of sorting the fleet. (The older
 * (community_id, label) index serves one community's list.)
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('nodes', (t) => {
    t.index(['label', 'id'], 'nodes_label_id_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('nodes', (t) => {
    t.dropIndex(['label', 'id'], 'nodes_label_id_index');
  });
}

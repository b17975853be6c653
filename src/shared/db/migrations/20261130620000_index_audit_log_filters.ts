import type { Knex } from 'knex';

/**
 * GET /audit pages newest first by id under one filter at a time: each of these indexes hands a
 * filtered page over in id order, so a page costs the same on a year of entries. `action` uses
 * text_pattern_ops so that both an exact action and a prefix (`node.%`) use it. The
 * (resource_type, resource_id) index gains `id`: a resource's trail is read in id order too.
 * Actor ids are null on most rows of one kind or the other: partial indexes skip those.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.index(['community_id', 'id'], 'audit_log_community_id_id_index');
    t.dropIndex(['resource_type', 'resource_id']);
    t.index(['resource_type', 'resource_id', 'id'], 'audit_log_resource_id_index');
  });
  await knex.raw('CREATE INDEX audit_log_action_id_index ON audit_log (action text_pattern_ops, id)');
  await knex.raw('CREATE INDEX audit_log_actor_key_id_id_index ON audit_log (actor_key_id, id) WHERE actor_key_id IS NOT NULL');
  await knex.raw('CREATE INDEX audit_log_actor_user_id_id_index ON audit_log (actor_user_id, id) WHERE actor_user_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  for (const name of ['audit_log_actor_user_id_id_index', 'audit_log_actor_key_id_id_index', 'audit_log_action_id_index']) {
    await knex.raw(`DROP INDEX IF EXISTS ${name}`);
  }
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropIndex(['resource_type', 'resource_id', 'id'], 'audit_log_resource_id_index');
    t.index(['resource_type', 'resource_id']);
    t.dropIndex(['community_id', 'id'], 'audit_log_community_id_id_index');
  });
}

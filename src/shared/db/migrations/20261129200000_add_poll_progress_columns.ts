import type { Knex } from 'knex';

/**
 * Two facts about a channel's poll progress:
 * - cursor_entry_at: created_at of the entry the cursor points at. A poll that sees that entry
 *   again with another time knows the channel was cleared and refilled, without reading stored
 *   readings back.
 * - backfill_until: set while a large history is imported page by page; every entry created up to
 *   it is stored, so an import that crashed resumes there instead of starting over.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('channel_sync_state', (t) => {
    t.timestamp('cursor_entry_at', { useTz: true }).nullable();
    t.timestamp('backfill_until', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('channel_sync_state', (t) => {
    t.dropColumn('cursor_entry_at');
    t.dropColumn('backfill_until');
  });
}

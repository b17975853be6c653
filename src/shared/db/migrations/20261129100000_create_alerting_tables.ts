import type { Knex } from 'knex';

export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export const ALERT_OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export const ALERT_KINDS = ['threshold', 'offline', 'access_lost', 'data_quality'] as const;
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'failed'] as const;

const inList = (values: readonly string[]) => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

/**
 * Alerting: rules, the per-condition evaluation state, alerts (at most one unresolved per node and
 * condition, enforced here), maintenance windows, webhook subscriptions, the notification outbox
 * which is also the delivery log, and the audit log.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('alert_rules', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    /** Scope of the rule; for a node rule, the node's community. */
    t.uuid('community_id').notNullable().references('id').inTable('communities').onDelete('CASCADE');
    /** Set for a rule on one node; null for a rule on every node of `category` in the community. */
    t.uuid('node_id').nullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.text('category').nullable();
    t.text('name').notNullable();
    /** A mapped field alias (e.g. "distance_cm") or a derived value (level_pct, volume_l, flow_rate, depth_m). */
    t.text('metric').notNullable();
    t.text('operator').notNullable();
    t.double('threshold').notNullable();
    /** Hysteresis: a firing rule resolves only past this value (default: when the condition stops holding). */
    t.double('clear_threshold').nullable();
    t.integer('for_seconds').notNullable().defaultTo(0);
    t.text('severity').notNullable();
    /** After a notification, the same rule on the same node does not notify again for this long. */
    t.integer('cooldown_seconds').notNullable().defaultTo(0);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['node_id']);
    t.index(['community_id', 'category']);
  });
  await knex.raw(`ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_target_check CHECK ((node_id IS NULL) <> (category IS NULL))`);
  await knex.raw(`ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_operator_check CHECK (operator IN (${inList(ALERT_OPERATORS)}))`);
  await knex.raw(`ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_severity_check CHECK (severity IN (${inList(ALERT_SEVERITIES)}))`);
  await knex.raw('ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_durations_check CHECK (for_seconds >= 0 AND cooldown_seconds >= 0)');

  await knex.schema.createTable('alert_condition_state', (t) => {
    t.uuid('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    /** The rule id, or a built-in condition such as "data_quality:distance_cm". */
    t.text('condition_key').notNullable();
    /** normal | pending | firing (see alert-rules.ts). */
    t.text('phase').notNullable().defaultTo('normal');
    t.timestamp('since', { useTz: true }).nullable();
    /**
     * Per channel, the newest sample evaluated: {"<node_channel_id>": {"at": ms, "entryId": n}}.
     * Older samples are never evaluated again; per channel, so two channels polled at different
     * moments do not hide each other's readings.
     */
    t.jsonb('watermarks').notNullable().defaultTo('{}');
    t.timestamp('last_notified_at', { useTz: true }).nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['node_id', 'condition_key']);
  });

  await knex.schema.createTable('alerts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('node_id').notNullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.uuid('community_id').notNullable().references('id').inTable('communities').onDelete('CASCADE');
    t.uuid('rule_id').nullable().references('id').inTable('alert_rules').onDelete('SET NULL');
    /** Same as alert_condition_state.condition_key; at most one unresolved alert per node and key. */
    t.text('condition_key').notNullable();
    t.text('kind').notNullable();
    t.text('severity').notNullable();
    t.text('status').notNullable().defaultTo('open');
    t.text('title').notNullable();
    t.text('message').notNullable();
    t.text('metric').nullable();
    t.double('value').nullable();
    t.double('threshold').nullable();
    /** Event time of the sample (or the moment) that raised the alert. */
    t.timestamp('triggered_at', { useTz: true }).notNullable();
    t.timestamp('opened_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    /** Raised from data older than the catch-up age: recorded, but pages nobody. */
    t.boolean('catch_up').notNullable().defaultTo(false);
    /** Whether opening it notified anyone (not in cooldown, not catch-up): only then is its resolve notified. */
    t.boolean('notified').notNullable().defaultTo(false);
    t.timestamp('acknowledged_at', { useTz: true }).nullable();
    t.text('acknowledged_by').nullable();
    t.timestamp('resolved_at', { useTz: true }).nullable();
    t.text('resolved_by').nullable();
    t.text('resolve_comment').nullable();
    t.double('resolved_value').nullable();
    t.index(['community_id', 'status', 'triggered_at']);
    t.index(['community_id', 'triggered_at']);
    t.index(['node_id', 'triggered_at']);
    t.index(['resolved_at']);
  });
  await knex.raw(`ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN (${inList(ALERT_KINDS)}))`);
  await knex.raw(`ALTER TABLE alerts ADD CONSTRAINT alerts_severity_check CHECK (severity IN (${inList(ALERT_SEVERITIES)}))`);
  await knex.raw(`ALTER TABLE alerts ADD CONSTRAINT alerts_status_check CHECK (status IN (${inList(ALERT_STATUSES)}))`);
  await knex.raw(`ALTER TABLE alerts ADD CONSTRAINT alerts_resolved_check CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))`);
  // The guarantee behind "never duplicate": concurrent workers cannot open a second alert.
  await knex.raw(`CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (node_id, condition_key) WHERE status <> 'resolved'`);

  await knex.schema.createTable('maintenance_windows', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('community_id').notNullable().references('id').inTable('communities').onDelete('CASCADE');
    /** null: the whole community. */
    t.uuid('node_id').nullable().references('id').inTable('nodes').onDelete('CASCADE');
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.timestamp('ends_at', { useTz: true }).notNullable();
    t.text('reason').notNullable();
    t.text('created_by').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['community_id', 'ends_at']);
    t.index(['node_id', 'ends_at']);
  });
  await knex.raw('ALTER TABLE maintenance_windows ADD CONSTRAINT maintenance_windows_range_check CHECK (ends_at > starts_at)');

  await knex.schema.createTable('webhook_subscriptions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    /** Scope of the events it receives: one community, a distributor's communities, or (both null) everything. */
    t.uuid('community_id').nullable().references('id').inTable('communities').onDelete('CASCADE');
    t.uuid('distributor_id').nullable().references('id').inTable('distributors').onDelete('CASCADE');
    t.text('url').notNullable();
    /** Event names, e.g. {"alert.opened","alert.resolved","system.degraded"}. */
    t.specificType('events', 'text[]').notNullable();
    /** HMAC secret, AES-256-GCM encrypted like read keys; never returned after creation. */
    t.text('secret_encrypted').notNullable();
    t.text('description').nullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_scope_check CHECK (community_id IS NULL OR distributor_id IS NULL)');

  await knex.schema.createTable('notifications', (t) => {
    // The id is also X-Evara-Delivery: the same on every attempt, so receivers can drop duplicates.
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('subscription_id').notNullable().references('id').inTable('webhook_subscriptions').onDelete('CASCADE');
    t.text('event').notNullable();
    /** What the notification is about, e.g. "alert.opened:<alert id>": one notification per subscription. */
    t.text('event_key').notNullable();
    t.uuid('alert_id').nullable().references('id').inTable('alerts').onDelete('SET NULL');
    t.jsonb('payload').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('last_status_code').nullable();
    t.text('last_error').nullable();
    t.timestamp('last_attempt_at', { useTz: true }).nullable();
    t.timestamp('delivered_at', { useTz: true }).nullable();
    /** Outbox marker: null until its delivery job is in the notifications queue. */
    t.timestamp('enqueued_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['subscription_id', 'event_key']);
    t.index(['created_at']);
    // Deleting an alert (retention) sets alert_id to null here: without an index, a scan per alert.
    t.index(['alert_id']);
  });
  await knex.raw(`ALTER TABLE notifications ADD CONSTRAINT notifications_status_check CHECK (status IN (${inList(NOTIFICATION_STATUSES)}))`);
  await knex.raw(`CREATE INDEX notifications_outbox ON notifications (created_at) WHERE enqueued_at IS NULL`);

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    /** API key id and label of who acted (keys are the identities this API knows). */
    t.uuid('actor_key_id').nullable();
    t.text('actor_label').nullable();
    t.text('action').notNullable();
    t.text('resource_type').notNullable();
    t.text('resource_id').notNullable();
    t.uuid('community_id').nullable();
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['resource_type', 'resource_id']);
    t.index(['at']);
  });

  // Retention deletes old readings in batches by recorded time.
  await knex.schema.alterTable('readings', (t) => t.index(['recorded_at'], 'readings_recorded_at_index'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('readings', (t) => t.dropIndex(['recorded_at'], 'readings_recorded_at_index'));
  for (const table of ['audit_log', 'notifications', 'webhook_subscriptions', 'maintenance_windows', 'alerts', 'alert_condition_state', 'alert_rules']) {
    await knex.schema.dropTableIfExists(table);
  }
}

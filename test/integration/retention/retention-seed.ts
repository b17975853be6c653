import { randomUUID } from 'node:crypto';
import type { Core } from '../../../src/shared/core';
import { encryptSecret } from '../../../src/shared/crypto/secret-box';
import { webhookSecretContext } from '../../../src/shared/crypto/secret-contexts';
import { ensureChannelEpoch } from '../../../src/shared/readings/channel-epochs';
import { insertReadings as storeReadings } from '../../../src/shared/readings/reading-writer';
import { createNode } from '../../helpers/factories';

export const DAY_MS = 86_400_000;

/** Rows of one node (and one webhook subscription), so assertions never depend on other tests' data. */
export interface RetentionScope {
  nodeId: string;
  nodeChannelId: string;
  communityId: string;
  subscriptionId: string;
}

let entrySeq = 0;

export async function createScope(core: Core): Promise<RetentionScope> {
  const { node, channel } = await createNode(core);
  const id = randomUUID();
  const [sub] = (await core
    .db('webhook_subscriptions')
    .insert({ id, url: 'http://127.0.0.1:9/unused', events: ['alert.opened'], community_id: node.communityId, secret_encrypted: encryptSecret('test-secret', core.config.encryptionKey, webhookSecretContext(id)) })
    .returning('id')) as Array<{ id: string }>;
  return { nodeId: node.id, nodeChannelId: channel.id, communityId: node.communityId, subscriptionId: sub!.id };
}

export async function insertReadings(core: Core, s: RetentionScope, times: Date[]): Promise<void> {
  const channelEpochId = await ensureChannelEpoch(core.db, s.nodeChannelId, 0);
  await storeReadings(
    core.db,
    times.map((at) => ({ channelEpochId, entryId: ++entrySeq, recordedAt: at, fields: { field1: '1' } })),
  );
}

/** An alert raised at `at`; resolved then too when the status is resolved (the table requires both or neither). */
export async function insertAlert(core: Core, s: RetentionScope, status: 'open' | 'acknowledged' | 'resolved', at: Date): Promise<string> {
  const [row] = (await core
    .db('alerts')
    .insert({
      node_id: s.nodeId,
      community_id: s.communityId,
      condition_key: `retention-test:${randomUUID()}`,
      kind: 'threshold',
      severity: 'warning',
      status,
      title: 'test alert',
      message: 'seeded by the retention tests',
      triggered_at: at,
      opened_at: at,
      acknowledged_at: status === 'acknowledged' ? at : null,
      resolved_at: status === 'resolved' ? at : null,
    })
    .returning('id')) as Array<{ id: string }>;
  return row!.id;
}

export async function insertNotification(core: Core, s: RetentionScope, status: 'pending' | 'delivered' | 'failed', createdAt: Date, alertId: string | null = null): Promise<string> {
  const [row] = (await core
    .db('notifications')
    .insert({
      subscription_id: s.subscriptionId,
      event: 'alert.opened',
      event_key: `alert.opened:${randomUUID()}`,
      alert_id: alertId,
      payload: {},
      status,
      delivered_at: status === 'delivered' ? createdAt : null,
      created_at: createdAt,
    })
    .returning('id')) as Array<{ id: string }>;
  return row!.id;
}

export async function insertAudit(core: Core, s: RetentionScope, times: Date[]): Promise<void> {
  await core.db('audit_log').insert(times.map((at) => ({ at, action: 'node.updated', resource_type: 'node', resource_id: s.nodeId, community_id: s.communityId, details: {} })));
}

/** What is left of the scope: recorded times per table (ms), alert and notification ids. */
export async function remaining(core: Core, s: RetentionScope) {
  const times = (rows: Array<{ t: Date }>) => rows.map((r) => r.t.getTime()).sort((a, b) => a - b);
  return {
    readings: times(
      await core
        .db('readings')
        .join('channel_epochs', 'channel_epochs.id', 'readings.channel_epoch_id')
        .where('channel_epochs.node_channel_id', s.nodeChannelId)
        .select({ t: 'readings.recorded_at' }),
    ),
    audit: times(await core.db('audit_log').where({ resource_type: 'node', resource_id: s.nodeId }).select({ t: 'at' })),
    alertIds: ((await core.db('alerts').where({ node_id: s.nodeId }).select('id')) as Array<{ id: string }>).map((r) => r.id).sort(),
    notifications: (await core.db('notifications').where({ subscription_id: s.subscriptionId }).select('id', 'alert_id')) as Array<{ id: string; alert_id: string | null }>,
  };
}

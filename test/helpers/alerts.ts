import { randomUUID } from 'node:crypto';
import type { Core } from '../../src/shared/core';
import { encryptSecret } from '../../src/shared/crypto/secret-box';
import { webhookSecretContext } from '../../src/shared/crypto/secret-contexts';
import { evaluateJobId } from '../../src/shared/queues/jobs';
import { ensureChannelEpoch } from '../../src/shared/readings/channel-epochs';
import { insertReadings as storeReadings } from '../../src/shared/readings/reading-writer';
import { waitFor } from './wait-for';

/** The factory tank is 1.63 m tall: the distance (cm) the sensor reports at a level %. */
export function levelToDistance(levelPct: number): number {
  return Math.round((163 - (163 * levelPct) / 100) * 100) / 100;
}

export interface AlertRow {
  id: string;
  rule_id: string | null;
  condition_key: string;
  kind: string;
  severity: string;
  status: string;
  catch_up: boolean;
  triggered_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolved_value: number | null;
  title: string;
  message: string;
}

export async function alertsOf(core: Core, nodeId: string): Promise<AlertRow[]> {
  return (await core.db('alerts').where({ node_id: nodeId }).orderBy([{ column: 'triggered_at' }, { column: 'opened_at' }])) as AlertRow[];
}

/**
 * A subscription's notifications about alerts of these nodes. Filtered by node because other test
 * files' nodes share the database, and a sweep started by any test may raise alerts for them.
 */
export async function notificationsOf(
  core: Core,
  subscriptionId: string,
  nodeIds: string | string[],
): Promise<Array<{ id: string; event: string; alert_id: string | null; payload: Record<string, unknown>; enqueued_at: Date | null }>> {
  const ids = Array.isArray(nodeIds) ? nodeIds : [nodeIds];
  return core
    .db('notifications')
    .where({ subscription_id: subscriptionId })
    .whereIn('alert_id', (q) => q.select('id').from('alerts').whereIn('node_id', ids))
    .orderBy([{ column: 'created_at' }, { column: 'event' }]);
}

/** A webhook subscription row (the subscriptions API is tested on its own); URL never called here. */
export async function addSubscription(core: Core, opts: { events: string[]; communityId?: string | null }): Promise<{ id: string }> {
  const id = randomUUID();
  const [row] = (await core
    .db('webhook_subscriptions')
    .insert({ id, url: 'http://127.0.0.1:9/unused', events: opts.events, community_id: opts.communityId ?? null, secret_encrypted: encryptSecret('test-secret', core.config.encryptionKey, webhookSecretContext(id)) })
    .returning('id')) as Array<{ id: string }>;
  return row!;
}

/**
 * Polls a channel on demand and waits for the poll and for the evaluation of what it stored.
 * Returns the entry range the poll handed to the alerts queue.
 */
export async function pollAndEvaluate(core: Core, nodeChannelId: string): Promise<{ from: number; to: number }> {
  const before = (await core.db('channel_sync_state').where({ node_channel_id: nodeChannelId }).first('last_entry_id', 'epoch')) as { last_entry_id: number; epoch: number };
  const job = await core.producers.enqueuePoll({ nodeChannelId, reason: 'on-demand' });
  await waitFor(async () => (await core.queues.poll.getJobState(job.id!)) === 'completed', { what: `poll of ${nodeChannelId}`, timeoutMs: 20_000 });
  const after = (await core.db('channel_sync_state').where({ node_channel_id: nodeChannelId }).first('last_entry_id', 'epoch')) as { last_entry_id: number; epoch: number };
  const range = { from: before.epoch === after.epoch ? before.last_entry_id + 1 : 1, to: after.last_entry_id };
  if (after.last_entry_id !== before.last_entry_id || after.epoch !== before.epoch) {
    const id = evaluateJobId(nodeChannelId, after.epoch, after.last_entry_id);
    await waitFor(async () => (await core.queues.alerts.getJobState(id)) === 'completed', { what: `evaluation ${id}`, timeoutMs: 20_000 });
  }
  return range;
}

/** Stores readings as a poll would (entry ids from 1, epoch 0), for tests that drive evaluation directly. */
export async function insertReadings(core: Core, target: { nodeId: string; nodeChannelId: string }, entries: Array<{ at: number; fields: Record<string, number | 'nan'> }>, firstEntryId = 1): Promise<{ from: number; to: number }> {
  const channelEpochId = await ensureChannelEpoch(core.db, target.nodeChannelId, 0);
  await storeReadings(
    core.db,
    entries.map((e, i) => ({
      channelEpochId,
      entryId: firstEntryId + i,
      recordedAt: new Date(e.at),
      fields: Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [k, String(v)])),
    })),
  );
  return { from: firstEntryId, to: firstEntryId + entries.length - 1 };
}

/** Deactivates the subscriptions addSubscription made, so later test files' events do not reach them. */
export async function retireSubscriptions(core: Core): Promise<void> {
  await core.db('webhook_subscriptions').where({ url: 'http://127.0.0.1:9/unused' }).update({ active: false });
}

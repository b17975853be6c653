import type { Core } from '../shared/core';
import { createWebhookSender } from '../shared/notifications/webhook-sender';
import type { Processors } from './processor';
import { createPollBatches } from '../shared/polling/poll-batches';
import { createBatchedLocks } from '../shared/locks/batched-redis-locks';
import { createPollTickProcessor } from './poll-tick.processor';
import { createPollChannelProcessor } from './poll-channel.processor';
import { createEvaluateNodeProcessor } from './evaluate-node.processor';
import { createSweepConditionsProcessor } from './sweep-conditions.processor';
import { createDeliverNotificationProcessor } from './deliver-notification.processor';
import { createRelayNotificationsProcessor } from './relay-notifications.processor';
import { createNotifySystemEventProcessor } from './notify-system-event.processor';
import { createApplyRetentionProcessor } from './apply-retention.processor';
import { createEnsurePartitionsProcessor } from './ensure-partitions.processor';
import { createUpdateRollupsProcessor } from './update-rollups.processor';
import { partitionWindow } from '../shared/readings/maintain-reading-partitions';
import type { PollChannelJobDeps } from '../shared/polling/poll-channel-job';

/** What the worker's watches need to hear from polls: 429s (the poll rate) and outcomes (ThingSpeak outages). */
export type PollSignals = Pick<PollChannelJobDeps, 'onRateLimited' | 'outcomes'>;

/**
 * The worker's composition root for jobs: one processor per job name, each given only the
 * dependencies its use case takes.
 */
export function createProcessors(core: Core, pollSignals: PollSignals = {}): Processors {
  const { config, repos } = core;
  const handOff = { producers: core.producers, outbox: repos.outbox };
  const alertEffects = { alerts: repos.alerts, outbox: repos.outbox, nodeStatus: repos.nodeStatus, flush: { ...handOff, events: core.events } };
  return {
    'poll-tick': createPollTickProcessor({ breaker: core.breaker, nodes: repos.nodes, producers: core.producers, intervalMs: config.poll.intervalMs }),
    'poll-channel': createPollChannelProcessor({
      db: core.db,
      repo: repos.poll,
      commits: repos.pollCommits,
      nodeStatus: repos.nodeStatus,
      // One set per process: the polls this worker runs at once share statements and transactions.
      batches: createPollBatches({ db: core.db, repo: repos.poll, commits: repos.pollCommits, nodeStatus: repos.nodeStatus, producers: core.producers }),
      client: core.thingspeak,
      producers: core.producers,
      encryptionKey: config.encryptionKey,
      overlapMs: config.poll.overlapMs,
      events: core.events,
      redis: core.redis,
      prefix: config.queues.prefix,
      lockTtlMs: config.worker.lockMs,
      locks: createBatchedLocks(core.redis, config.worker.lockMs),
      ...pollSignals,
    }),
    'evaluate-node': createEvaluateNodeProcessor({
      ...alertEffects,
      db: core.db,
      rules: repos.alertRules,
      maintenance: repos.maintenance,
      conditionState: repos.conditionState,
      samples: repos.samples,
      catchUpAgeMs: config.alerts.catchUpAgeMs,
      dataQualityMs: config.alerts.dataQualityMs,
    }),
    'sweep-conditions': createSweepConditionsProcessor({
      ...alertEffects,
      db: core.db,
      maintenance: repos.maintenance,
      sweep: repos.sweep,
      breaker: core.breaker,
      catchUpAgeMs: config.alerts.catchUpAgeMs,
      accessLostAfter: config.alerts.accessLostAfter,
    }),
    'deliver-notification': createDeliverNotificationProcessor({
      notifications: repos.notifications,
      send: createWebhookSender({ timeoutMs: config.notifications.webhookTimeoutMs, allowedPrivateCidrs: config.notifications.webhookAllowedPrivateCidrs }),
      encryptionKey: config.encryptionKey,
    }),
    'relay-notifications': createRelayNotificationsProcessor({
      ...handOff,
      notifications: repos.notifications,
      breaker: core.breaker,
      graceMs: Math.min(5_000, config.notifications.relayMs),
    }),
    'notify-system-event': createNotifySystemEventProcessor({ ...handOff, db: core.db }),
    'apply-retention': createApplyRetentionProcessor({ db: core.db, redis: core.redis, prefix: config.queues.prefix, lockMs: config.worker.lockMs, policy: config.retention }),
    'update-rollups': createUpdateRollupsProcessor({ db: core.db }),
    'ensure-partitions': createEnsurePartitionsProcessor({
      db: core.db,
      redis: core.redis,
      prefix: config.queues.prefix,
      lockMs: config.worker.lockMs,
      window: partitionWindow(config.retention.readingsDays),
    }),
  };
}

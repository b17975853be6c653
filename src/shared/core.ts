import type { Config } from './config';
import type { Logger } from './logger';
import { createDb, type Db } from './db/knex';
import { createPoolPressure } from './db/pool-pressure';
import { createRedis, type Redis } from './redis';
import { createQueues, type Queues } from './queues/queues';
import { createProducers, type Producers } from './queues/producers';
import { createPollJobRecords } from './queues/poll-job-records';
import { createNodesRepository } from './nodes/nodes.repository';
import { createCommunitiesRepository } from './communities/communities.repository';
import { createApiKeysRepository } from './auth/api-keys.repository';
import { createUsersRepository } from './auth/users.repository';
import { createNodeStatsRepository } from './history/node-stats.repository';
import { createFleetStatsRepository } from './history/fleet-stats.repository';
import { createReadingsRepository } from './readings/readings.repository';
import { createReadingsExportRepository } from './readings/readings-export.repository';
import { createPollRepository } from './polling/poll.repository';
import { createPollCommitRepository } from './polling/poll-commit.repository';
import { createThingSpeakClient } from './thingspeak/thingspeak.client';
import { createDbBreaker } from './breaker/db-breaker';
import { createLiveEventPublisher } from './events/live-events';
import { createAlertsRepository } from './alerts/alerts.repository';
import { createAlertRulesRepository } from './alerts/alert-rules.repository';
import { createMaintenanceWindowsRepository } from './alerts/maintenance-windows.repository';
import { createAlertConditionStateRepository } from './alerts/alert-condition-state.repository';
import { createAlertSamplesRepository } from './alerts/alert-samples.repository';
import { createConditionSweepRepository } from './alerts/condition-sweep.repository';
import { createNodeStatusRepository } from './nodes/node-status.repository';
import { createNotificationOutboxRepository } from './notifications/notification-outbox.repository';
import { createNotificationsRepository } from './notifications/notifications.repository';
import { createWebhookSubscriptionsRepository } from './notifications/webhook-subscriptions.repository';

/** Everything both processes share, built once per process; close() releases it in reverse order. */
export function createCore(config: Config, log: Logger, opts: { redisKind: 'producer' | 'worker' }) {
  const db: Db = createDb(config, log.child({ module: 'db' }));
  // Tells a busy pool from a dead database, on a reserved connection of its own (opened only when asked).
  const poolPressure = createPoolPressure(db, { connectionString: config.db.connectionString, ssl: config.db.ssl }, `evara-${config.role}`);
  const redis: Redis = createRedis(config, log.child({ module: 'redis' }), opts.redisKind);
  const queues: Queues = createQueues(config, redis, log.child({ module: 'queues' }));
  const pollJobRecords = createPollJobRecords(redis, config.queues.prefix);
  const producers: Producers = createProducers(queues, { pollJobRecords });
  const thingspeak = createThingSpeakClient({
    baseUrl: config.thingspeak.baseUrl,
    timeoutMs: config.thingspeak.timeoutMs,
    log: log.child({ module: 'thingspeak' }),
  });
  const breaker = createDbBreaker(redis, { prefix: config.queues.prefix, ...config.circuit });
  const events = createLiveEventPublisher(redis, config.queues.prefix, log.child({ module: 'live-events' }));
  return {
    config,
    log,
    breaker,
    db,
    poolPressure,
    redis,
    queues,
    producers,
    pollJobRecords,
    events,
    thingspeak,
    repos: {
      nodes: createNodesRepository(db, config.encryptionKey),
      communities: createCommunitiesRepository(db),
      apiKeys: createApiKeysRepository(db),
      users: createUsersRepository(db),
      readings: createReadingsRepository(db),
      nodeStats: createNodeStatsRepository(db),
      fleetStats: createFleetStatsRepository(db),
      readingsExport: createReadingsExportRepository(db),
      poll: createPollRepository(db),
      pollCommits: createPollCommitRepository(db),
      alerts: createAlertsRepository(db),
      alertRules: createAlertRulesRepository(db),
      maintenance: createMaintenanceWindowsRepository(db),
      conditionState: createAlertConditionStateRepository(db),
      samples: createAlertSamplesRepository(db),
      sweep: createConditionSweepRepository(db),
      nodeStatus: createNodeStatusRepository(db),
      outbox: createNotificationOutboxRepository(db),
      notifications: createNotificationsRepository(db),
      webhookSubscriptions: createWebhookSubscriptionsRepository(db, config.encryptionKey),
    },
    async close(): Promise<void> {
      await queues.close().catch(() => undefined);
      redis.disconnect();
      await poolPressure.close();
      await db.destroy().catch(() => undefined);
    },
  };
}

export type Core = ReturnType<typeof createCore>;

import type { Config } from '../shared/config';
import type { JobName } from '../shared/queues/jobs';
import type { QueueName } from '../shared/queues/queue-names';

export const POLL_TICK_SCHEDULER_ID = 'poll-tick';
export const SWEEP_CONDITIONS_SCHEDULER_ID = 'sweep-conditions';
export const RELAY_NOTIFICATIONS_SCHEDULER_ID = 'relay-notifications';
export const RETENTION_SCHEDULER_ID = 'apply-retention';
export const ENSURE_PARTITIONS_SCHEDULER_ID = 'ensure-partitions';
export const UPDATE_ROLLUPS_SCHEDULER_ID = 'update-rollups';
// Hourly, so a day's partition exists long before midnight.
const ENSURE_PARTITIONS_EVERY_MS = 3_600_000;

export type SchedulerRepeat = { every: number } | { pattern: string; tz: 'UTC' };

/** One repeatable job: the BullMQ job scheduler `id` on `queue` adds a `jobName` job as `repeat` says. */
export interface SchedulerSpec {
  queue: QueueName;
  id: string;
  jobName: JobName;
  repeat: SchedulerRepeat;
}

/**
 * Every repeatable job of the system, for the queues this process runs: the one list both the
 * start-up and the scheduler keeper (scheduler-keeper.ts) work from, so a scheduler added here is
 * also restored after Redis loses it. `unwanted` are schedulers this configuration turns off.
 */
export function schedulersFor(config: Config): { wanted: SchedulerSpec[]; unwanted: Array<{ queue: QueueName; id: string }> } {
  const all: Array<SchedulerSpec | { queue: QueueName; id: string; off: true }> = [
    { queue: 'poll-control', id: POLL_TICK_SCHEDULER_ID, jobName: 'poll-tick', repeat: { every: config.poll.intervalMs } },
    config.alerts.sweepMs > 0
      ? { queue: 'alerts', id: SWEEP_CONDITIONS_SCHEDULER_ID, jobName: 'sweep-conditions', repeat: { every: config.alerts.sweepMs } }
      : { queue: 'alerts', id: SWEEP_CONDITIONS_SCHEDULER_ID, off: true },
    { queue: 'notifications', id: RELAY_NOTIFICATIONS_SCHEDULER_ID, jobName: 'relay-notifications', repeat: { every: config.notifications.relayMs } },
    { queue: 'maintenance', id: RETENTION_SCHEDULER_ID, jobName: 'apply-retention', repeat: { pattern: config.retention.cron, tz: 'UTC' } },
    { queue: 'maintenance', id: ENSURE_PARTITIONS_SCHEDULER_ID, jobName: 'ensure-partitions', repeat: { every: ENSURE_PARTITIONS_EVERY_MS } },
    { queue: 'maintenance', id: UPDATE_ROLLUPS_SCHEDULER_ID, jobName: 'update-rollups', repeat: { every: config.rollups.everyMs } },
  ];
  const mine = all.filter((s) => config.worker.queues.includes(s.queue));
  return {
    wanted: mine.filter((s): s is SchedulerSpec => !('off' in s)),
    unwanted: mine.filter((s) => 'off' in s).map(({ queue, id }) => ({ queue, id })),
  };
}

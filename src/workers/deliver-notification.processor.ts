import { deliverNotification, type DeliverDeps } from '../shared/notifications/deliver-notification';
import type { Processor } from './processor';

/** One webhook delivery (deliver-notification.ts); the queue's attempts decide which one is the last. */
export function createDeliverNotificationProcessor(deps: DeliverDeps): Processor<'deliver-notification'> {
  return (data, { job, log }) => deliverNotification(deps, data.notificationId, { lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) }, log);
}

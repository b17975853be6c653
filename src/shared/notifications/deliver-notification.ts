import { decryptSecret } from '../crypto/secret-box';
import { webhookSecretContext } from '../crypto/secret-contexts';
import type { SecretKeys } from '../crypto/secret-keyring';
import { AppError, UpstreamError } from '../errors';
import type { Logger } from '../logger';
import { judgeDelivery } from './delivery-outcome';
import { deliveryBody, type NotificationsRepository } from './notifications.repository';
import type { WebhookSender } from './webhook-sender';
import { signedHeaders } from './webhook-signature';

/** The delivery can never succeed as is (a 4xx other than 408/429, a foreign redirect, a blocked address). */
class WebhookRejectedError extends AppError {
  constructor(message: string) {
    super(message, { code: 'WEBHOOK_REJECTED', kind: 'user', httpStatus: 422 });
  }
}

export interface DeliverDeps {
  notifications: Pick<NotificationsRepository, 'loadForDelivery' | 'markFailed' | 'recordAttempt'>;
  send: WebhookSender;
  encryptionKey: SecretKeys;
}

export type DeliveryResult = { delivered: true; statusCode: number | null } | { skipped: string };

/**
 * Sends one notification to its subscriber. The row is the source of truth: a row already
 * delivered (a redelivery after a crash, a relayed duplicate) is not sent again, and every attempt
 * sends the stored body with the same delivery id, so receivers can drop what they already have.
 * Retryable failures throw for the queue's exponential backoff; the last one marks the row failed.
 */
export async function deliverNotification(deps: DeliverDeps, notificationId: string, attempt: { lastAttempt: boolean }, log: Logger): Promise<DeliveryResult> {
  const task = await deps.notifications.loadForDelivery(notificationId);
  if (!task) return { skipped: 'notification not found (its subscription was deleted)' };
  if (task.status !== 'pending') return { skipped: `already ${task.status}` };
  if (!task.subscription.active) {
    await deps.notifications.markFailed(task.id, 'not sent: the subscription is inactive');
    return { skipped: 'subscription inactive' };
  }
  if (!URL.canParse(task.subscription.url)) {
    await deps.notifications.markFailed(task.id, 'not sent: the subscription URL is not a valid URL');
    return { skipped: 'invalid URL' };
  }
  let secret: string;
  try {
    secret = decryptSecret(task.subscription.secretEncrypted, deps.encryptionKey, webhookSecretContext(task.subscription.id));
  } catch {
    // Retrying cannot help: the key that sealed the secret is gone (ENCRYPTION_KEY changed).
    await deps.notifications.markFailed(task.id, 'not sent: the signing secret cannot be decrypted with the current ENCRYPTION_KEY; set a new secret');
    return { skipped: 'secret unreadable' };
  }

  const body = deliveryBody(task);
  const host = new URL(task.subscription.url).host;
  const result = await deps.send(task.subscription.url, body, signedHeaders({ secret, body, deliveryId: task.id, event: task.event }));
  const outcome = judgeDelivery(result);
  const status = outcome.verdict === 'delivered' ? 'delivered' : outcome.verdict === 'permanent' || attempt.lastAttempt ? 'failed' : 'pending';
  await deps.notifications.recordAttempt(task.id, { statusCode: outcome.statusCode, error: outcome.error, status });

  const summary = { notificationId: task.id, subscriptionId: task.subscription.id, event: task.event, host, statusCode: outcome.statusCode, attempt: task.attempts + 1 };
  // Operators (logs, the superadmin-only queue board) get the detail the tenant's delivery log leaves out.
  const why = outcome.detail ? `${outcome.error} [${outcome.detail}]` : outcome.error;
  if (outcome.verdict === 'delivered') {
    log.info(summary, 'webhook delivered');
    return { delivered: true, statusCode: outcome.statusCode };
  }
  if (outcome.verdict === 'permanent') throw new WebhookRejectedError(`webhook to ${host} refused, not retried: ${why}`);
  if (attempt.lastAttempt) log.warn({ ...summary, errorClass: outcome.errorClass, error: outcome.error, detail: outcome.detail }, 'webhook delivery failed for good: no attempts left');
  throw new UpstreamError(`webhook to ${host} failed: ${why}`, { code: 'WEBHOOK_FAILED', upstreamKind: 'webhook' });
}

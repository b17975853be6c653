import type { Config } from '../../../shared/config';
import { createAddressPolicy } from '../../../shared/net/address-policy';
import { formatCidr } from '../../../shared/net/cidr-list';
import { ok, warn, type Finding } from '../finding';

const CHECK = 'webhooks';

/** Addresses that no tenant's webhook should reach in production, whatever else is allowed. */
const SENSITIVE: ReadonlyArray<[address: string, what: string]> = [
  ['127.0.0.1', 'loopback (this machine: Redis, metrics, the API itself)'],
  ['::1', 'IPv6 loopback'],
  ['169.254.169.254', 'the cloud metadata service (instance credentials)'],
  ['fd00:ec2::254', 'the AWS IPv6 metadata service'],
];

/**
 * Shows where webhook deliveries may connect (WEBHOOK_ALLOWED_PRIVATE_CIDRS). An invalid list is
 * already a config `fix`; here a valid one is shown, with a warning when it opens loopback or the
 * metadata service to every tenant in production.
 */
export function checkWebhookEgress(config: Config | undefined): Finding[] {
  if (!config) return [];
  const cidrs = config.notifications.webhookAllowedPrivateCidrs;
  if (cidrs.length === 0) return [ok(CHECK, 'deliveries reach public addresses only (WEBHOOK_ALLOWED_PRIVATE_CIDRS is empty)')];
  const listed = cidrs.map(formatCidr).join(', ');
  const findings = [ok(CHECK, `deliveries may also reach ${listed} (WEBHOOK_ALLOWED_PRIVATE_CIDRS): any tenant's webhook can target hosts there`)];
  if (config.env !== 'production') return findings;
  const policy = createAddressPolicy({ allowedCidrs: cidrs });
  for (const [address, what] of SENSITIVE) {
    if (policy.check(address).allowed) {
      findings.push(warn(CHECK, `WEBHOOK_ALLOWED_PRIVATE_CIDRS lets webhooks reach ${address}, ${what}`, 'list only the on-premise receivers\' ranges'));
    }
  }
  return findings;
}

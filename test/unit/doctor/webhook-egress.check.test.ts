import { loadConfig } from '../../../src/shared/config';
import { checkConfig } from '../../../src/tools/doctor/checks/config.check';
import { checkWebhookEgress } from '../../../src/tools/doctor/checks/webhook-egress.check';

const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' };
const production = { ...base, NODE_ENV: 'production', ENCRYPTION_KEY: 'a'.repeat(64) };

describe('webhook egress check', () => {
  test('when no private range is allowed, then the doctor says deliveries reach public addresses only', () => {
    expect(checkWebhookEgress(loadConfig(base, 'tool'))).toEqual([{ level: 'ok', check: 'webhooks', message: 'deliveries reach public addresses only (WEBHOOK_ALLOWED_PRIVATE_CIDRS is empty)' }]);
  });

  test('when on-premise ranges are allowed, then they are shown, without warnings if they spare loopback and metadata', () => {
    const findings = checkWebhookEgress(loadConfig({ ...production, WEBHOOK_ALLOWED_PRIVATE_CIDRS: '10.20.0.0/16' }, 'tool'));
    expect(findings).toEqual([expect.objectContaining({ level: 'ok', message: expect.stringContaining('10.20.0.0/16') })]);
  });

  test('when production allows loopback or the metadata service, then each is a warning', () => {
    const findings = checkWebhookEgress(loadConfig({ ...production, WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8,169.254.0.0/16' }, 'tool'));
    expect(findings.filter((f) => f.level === 'warn').map((f) => f.message)).toEqual([
      expect.stringContaining('127.0.0.1, loopback'),
      expect.stringContaining('169.254.169.254, the cloud metadata service'),
    ]);
  });

  test('when the list is invalid, then the config check reports it as a fix and this check stays silent', () => {
    const result = checkConfig({ ...base, WEBHOOK_ALLOWED_PRIVATE_CIDRS: 'intranet' });
    expect(result.findings).toEqual([expect.objectContaining({ level: 'fix', message: expect.stringMatching(/^WEBHOOK_ALLOWED_PRIVATE_CIDRS: "intranet" is not a CIDR/) })]);
    expect(checkWebhookEgress(result.config)).toEqual([]);
  });
});

import { ConfigError, describeConfig, loadConfig } from '../../../src/shared/config';

const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' };

describe('WEBHOOK_ALLOWED_PRIVATE_CIDRS', () => {
  test('when unset, then webhooks may reach public addresses only', () => {
    expect(loadConfig(base, 'worker').notifications.webhookAllowedPrivateCidrs).toEqual([]);
  });

  test('when it lists ranges, then they are parsed and shown in the start-up description', () => {
    const config = loadConfig({ ...base, WEBHOOK_ALLOWED_PRIVATE_CIDRS: '10.20.0.0/16, fd00:1::/64' }, 'worker');
    expect(config.notifications.webhookAllowedPrivateCidrs).toEqual([
      { network: '10.20.0.0', prefix: 16, family: 'ipv4' },
      { network: 'fd00:1::', prefix: 64, family: 'ipv6' },
    ]);
    expect(describeConfig(config).webhookAllowedPrivateCidrs).toEqual(['10.20.0.0/16', 'fd00:1::/64']);
  });

  test('when an entry is not a CIDR, then start-up fails naming the variable and the entry', () => {
    let error: unknown;
    try {
      loadConfig({ ...base, WEBHOOK_ALLOWED_PRIVATE_CIDRS: '10.20.0.0/16,10.0.0/8' }, 'api');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['WEBHOOK_ALLOWED_PRIVATE_CIDRS: "10.0.0/8" is not a CIDR (examples: 10.20.0.0/16, fd00:1::/64)']);
  });
});

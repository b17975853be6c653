import { ConfigError, loadConfig } from '../../../src/shared/config';

const base = { DATABASE_URL: 'postgres://evara@127.0.0.1:5432/evara' };

describe('rate limit and proxy settings', () => {
  test('when nothing is set, then limits are on with the documented defaults and one proxy hop (Render) is trusted', () => {
    const c = loadConfig(base, 'api');
    expect(c.rateLimit).toEqual({ enabled: true, perIp: 2_400, failedAuthPerIp: 30, perKey: 1_200, webhookTests: 10, wsTickets: 60, keyCreation: 10, syncMs: 100 });
    expect(c.api.trustProxy).toBe(1);
  });

  test('when RATE_LIMIT_ENABLED is false, then limits are off (benchmarks)', () => {
    expect(loadConfig({ ...base, RATE_LIMIT_ENABLED: 'false' }, 'api').rateLimit.enabled).toBe(false);
    expect(() => loadConfig({ ...base, RATE_LIMIT_ENABLED: 'no' }, 'api')).toThrow(/RATE_LIMIT_ENABLED/);
  });

  test('when TRUST_PROXY is a hop count or a list of proxies, then Express gets it in its own terms', () => {
    expect(loadConfig({ ...base, TRUST_PROXY: '0' }, 'api').api.trustProxy).toBe(0);
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }, 'api').api.trustProxy).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }, 'api').api.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
  });

  test.each(['true', 'yes', '10.0.0.0/8, nonsense', '999', '10.0.0.1/8/2', 'loopback/8'])('when TRUST_PROXY is %p, then loading fails and names it', (value) => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: value }, 'api')).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, TRUST_PROXY: value }, 'api')).toThrow(/TRUST_PROXY/);
  });

  test('when a quota is zero, then loading fails (turn limits off with RATE_LIMIT_ENABLED instead)', () => {
    expect(() => loadConfig({ ...base, RATE_LIMIT_PER_KEY_PER_MINUTE: '0' }, 'api')).toThrow(/RATE_LIMIT_PER_KEY_PER_MINUTE/);
  });
});

import { ConfigError, describeConfig, loadConfig } from '../../../src/shared/config';

const base = { DATABASE_URL: 'postgres://evara@db.example.com:5432/evara?sslmode=require' };
const production = { ...base, NODE_ENV: 'production', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('metrics configuration', () => {
  test('when nothing is set, then the worker serves metrics on 127.0.0.1:9464 only: without a token nobody else may read them', () => {
    const c = loadConfig(base, 'worker');
    expect(c.metrics).toEqual({ token: undefined, workerPort: 9464, workerHost: '127.0.0.1' });
  });

  test('when METRICS_TOKEN is set, then the worker listens on 0.0.0.0 (a scraper on the private network, with the token)', () => {
    const token = 'a-long-enough-metrics-token-0123456789';
    expect(loadConfig({ ...production, METRICS_TOKEN: token }, 'worker').metrics).toEqual({ token, workerPort: 9464, workerHost: '0.0.0.0' });
  });

  test('when production binds a non-loopback address without METRICS_TOKEN, then the configuration is refused', () => {
    expect.assertions(2);
    try {
      loadConfig({ ...production, WORKER_METRICS_HOST: '0.0.0.0' }, 'worker');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^WORKER_METRICS_HOST: 0\.0\.0\.0 is reachable from other machines and METRICS_TOKEN is not set.*set METRICS_TOKEN or bind 127\.0\.0\.1/)]);
    }
  });

  test('when production binds loopback explicitly, or development binds 0.0.0.0 without a token, then it starts (development with a warning)', () => {
    expect(loadConfig({ ...production, WORKER_METRICS_HOST: '127.0.0.1' }, 'worker').metrics.workerHost).toBe('127.0.0.1');
    const dev = loadConfig({ ...base, WORKER_METRICS_HOST: '0.0.0.0' }, 'worker');
    expect(dev.metrics.workerHost).toBe('0.0.0.0');
    expect(dev.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/WORKER_METRICS_HOST=0\.0\.0\.0 is reachable.*refused in production without METRICS_TOKEN/)]));
  });

  test('when WORKER_METRICS_PORT is 0, then it is accepted (a free port, for tests)', () => {
    expect(loadConfig({ ...base, WORKER_METRICS_PORT: '0' }, 'worker').metrics.workerPort).toBe(0);
  });

  test('when production has a METRICS_TOKEN shorter than 32 characters, then the configuration is refused without echoing it', () => {
    expect.assertions(3);
    try {
      loadConfig({ ...production, METRICS_TOKEN: 'short-metrics-token' }, 'worker');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toContain('METRICS_TOKEN: must be at least 32 characters');
      expect((err as Error).message).not.toContain('short-metrics-token');
    }
  });

  test('when development has a short METRICS_TOKEN, then it only warns', () => {
    const c = loadConfig({ ...base, METRICS_TOKEN: 'dev-token' }, 'api');
    expect(c.metrics.token).toBe('dev-token');
    expect(c.warnings.some((w) => w.startsWith('METRICS_TOKEN is shorter than 32 characters'))).toBe(true);
  });

  test('when the configuration is described for the log, then the metrics token is not in it', () => {
    const token = 'a-long-enough-metrics-token-0123456789';
    expect(JSON.stringify(describeConfig(loadConfig({ ...production, METRICS_TOKEN: token }, 'worker')))).not.toContain(token);
  });
});

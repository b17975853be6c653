import { ConfigError, describeConfig, loadConfig } from '../../../src/shared/config';

const base = { DATABASE_URL: 'postgres://evara@db.example.com:5432/evara' };
const production = { ...base, NODE_ENV: 'production', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('metrics configuration', () => {
  test('when nothing is set, then the worker serves metrics on 0.0.0.0:9464 and no token is required', () => {
    const c = loadConfig(base, 'worker');
    expect(c.metrics).toEqual({ token: undefined, workerPort: 9464, workerHost: '0.0.0.0' });
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

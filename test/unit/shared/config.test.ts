import { ConfigError, describeConfig, loadConfig } from '../../../src/shared/config';

const base = { DATABASE_URL: 'postgres://evara:s3cretPw@db.example.com:5432/evara' };

describe('loadConfig', () => {
  test('when only DATABASE_URL is given, then the documented defaults apply', () => {
    const c = loadConfig(base, 'api');
    expect(c.api.port).toBe(3000);
    expect(c.thingspeak.baseUrl).toBe('https://api.thingspeak.com');
    expect(c.poll.intervalMs).toBe(60_000);
    expect(c.queues.prefix).toBe('evara');
    expect(c.worker.queues).toEqual(['poll-control', 'poll', 'alerts', 'notifications', 'maintenance']);
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('when several variables are bad, then one error lists every one of them', () => {
    expect.assertions(4);
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', PORT: 'abc', POLL_INTERVAL_MS: '10', WORKER_QUEUES: 'poll,bogus' }, 'worker');
    } catch (err) {
      const e = err as ConfigError;
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.problems.join('\n')).toMatch(/PORT/);
      expect(e.problems.join('\n')).toMatch(/POLL_INTERVAL_MS/);
      expect(e.message).not.toContain('abc');
    }
  });

  test('when the URL, queues and worker list are bad together, then all are reported', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', WORKER_QUEUES: 'poll,bogus', REDIS_URL: 'http://r' }, 'worker')).toThrow(
      /DATABASE_URL[\s\S]*REDIS_URL[\s\S]*WORKER_QUEUES: unknown queue\(s\) bogus/,
    );
  });

  test('when production lacks ADMIN_API_KEY and ENCRYPTION_KEY, then the API refuses to start', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production' }, 'api')).toThrow(/ENCRYPTION_KEY[\s\S]*ADMIN_API_KEY/);
  });

  test('when WORKER_QUEUES names a subset, then only those queues run', () => {
    expect(loadConfig({ ...base, WORKER_QUEUES: 'poll, alerts' }, 'worker').worker.queues).toEqual(['poll', 'alerts']);
  });

  test('when the configuration is described for the banner, then no password or key appears', () => {
    const c = loadConfig({ ...base, ADMIN_API_KEY: 'adminkey-adminkey-adminkey-adminkey-1', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }, 'api');
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toContain('s3cretPw');
    expect(text).not.toContain('adminkey-adminkey');
    expect(text).toContain('db.example.com');
  });
});

describe('database pool sizing', () => {
  test('when DATABASE_POOL_MAX is not set, then the API gets 10 and a worker what its queues can use at once', () => {
    expect(loadConfig(base, 'api').db.poolMax).toBe(10);
    expect(loadConfig(base, 'worker').db.poolMax).toBe(28);
    expect(loadConfig({ ...base, WORKER_QUEUES: 'poll,poll-control' }, 'worker').db.poolMax).toBe(17);
    expect(loadConfig({ ...base, WORKER_QUEUES: 'alerts,notifications,maintenance' }, 'worker').db.poolMax).toBe(13);
  });

  test('when a worker is given fewer connections than its queues use, then it starts and says why that slows polling', () => {
    const c = loadConfig({ ...base, DATABASE_POOL_MAX: '8' }, 'worker');
    expect(c.db.poolMax).toBe(8);
    expect(c.warnings.join('\n')).toMatch(/DATABASE_POOL_MAX=8 is below the 28 connections .*busy.*raise DATABASE_POOL_MAX to 28/);
    expect(loadConfig({ ...base, DATABASE_POOL_MAX: '30' }, 'worker').warnings.join('\n')).not.toContain('DATABASE_POOL_MAX');
  });

  test('when the statement timeout is not set, then connections get 30 s; 0 leaves the server alone', () => {
    expect(loadConfig(base, 'api').db.statementTimeoutMs).toBe(30_000);
    expect(loadConfig({ ...base, DATABASE_STATEMENT_TIMEOUT_MS: '0' }, 'api').db.statementTimeoutMs).toBe(0);
    expect(() => loadConfig({ ...base, THINGSPEAK_OUTAGE_RATIO: '1.5' }, 'worker')).toThrow(/THINGSPEAK_OUTAGE_RATIO/);
  });
});

import { checkConfig } from '../../../src/tools/doctor/checks/config.check';

describe('config check', () => {
  test('given an invalid configuration, when checked, then every problem becomes a fix and the variables are remembered', () => {
    const result = checkConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@h/db', POLL_INTERVAL_MS: 'often' });

    expect(result.config).toBeUndefined();
    expect(result.findings.every((f) => f.level === 'fix' && f.check === 'config')).toBe(true);
    expect(result.findings.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^POLL_INTERVAL_MS:/)]));
    expect(result.findings[0]?.fix).toMatch(/POLL_INTERVAL_MS.*\.env\.example/);
  });

  test('given production without ENCRYPTION_KEY, when checked, then that variable is reported as already handled', () => {
    const result = checkConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@h/db' });
    expect([...result.reportedVariables]).toContain('ENCRYPTION_KEY');
  });

  test('given a valid configuration, when checked, then it is ok and its warnings, except database URL ones, are warnings', () => {
    const result = checkConfig({ DATABASE_URL: 'postgresql://postgres:x@db.abc.supabase.co:5432/postgres' });

    expect(result.config).toBeDefined();
    expect(result.findings[0]).toMatchObject({ level: 'ok', message: 'valid for NODE_ENV=development' });
    const warnings = result.findings.filter((f) => f.level === 'warn').map((f) => f.message);
    expect(warnings).toEqual([expect.stringMatching(/ENCRYPTION_KEY is not set/)]);
  });
});

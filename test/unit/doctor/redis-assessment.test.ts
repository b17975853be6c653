import { assessEvictionPolicy, assessRedisVersion, parseInfo } from '../../../src/tools/doctor/checks/redis-assessment';

describe('redis assessment', () => {
  test('given an INFO reply, when parsed, then fields are read and section headers skipped', () => {
    expect(parseInfo('# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n')).toEqual({ redis_version: '7.2.4', redis_mode: 'standalone' });
  });

  test.each([
    ['4.0.9', 'fix'],
    ['5.0.0', 'warn'],
    ['6.0.16', 'warn'],
    ['6.2.0', 'ok'],
    ['7.0.15', 'ok'],
  ])('given Redis %s, when assessed for BullMQ, then the finding is %s', (version, level) => {
    expect(assessRedisVersion(version).level).toBe(level);
  });

  test('given no version, when assessed, then a warning asks what this server is', () => {
    expect(assessRedisVersion(undefined)).toMatchObject({ level: 'warn', message: expect.stringMatching(/did not report/) });
  });

  test('given noeviction, when assessed, then it is ok', () => {
    expect(assessEvictionPolicy('noeviction').level).toBe('ok');
  });

  test('given an evicting policy, when assessed, then it must be fixed and the fix names noeviction', () => {
    const finding = assessEvictionPolicy('allkeys-lru');
    expect(finding.level).toBe('fix');
    expect(finding.message).toMatch(/allkeys-lru.*loses jobs/);
    expect(finding.fix).toMatch(/maxmemory-policy noeviction/);
  });

  test('given a policy that could not be read, when assessed, then a warning says where to look', () => {
    expect(assessEvictionPolicy(undefined)).toMatchObject({ level: 'warn', fix: expect.stringMatching(/noeviction/) });
  });
});

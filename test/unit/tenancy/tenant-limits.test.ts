import { loadConfig } from '../../../src/shared/config';
import { enforceCap, TenantLimitReachedError } from '../../../src/shared/tenancy/tenant-limits';

const base = { DATABASE_URL: 'postgres://evara@127.0.0.1:5432/evara' };
const cap = { what: 'alert rules', per: 'community c1', max: 2, setting: 'TENANT_MAX_ALERT_RULES_PER_COMMUNITY' };

describe('tenant caps', () => {
  test('when nothing is set, then the caps have their documented defaults', () => {
    expect(loadConfig(base, 'api').tenantLimits).toEqual({ alertRulesPerCommunity: 200, maintenanceWindowsPerCommunity: 50, webhooksPerCommunity: 20, liveSocketsPerKey: 20 });
  });

  test('when a cap is set, then it is used; when it is 0 or not a number, then loading fails and names it', () => {
    expect(loadConfig({ ...base, TENANT_MAX_WEBHOOKS_PER_COMMUNITY: '5' }, 'api').tenantLimits.webhooksPerCommunity).toBe(5);
    expect(() => loadConfig({ ...base, TENANT_MAX_LIVE_SOCKETS_PER_KEY: '0' }, 'api')).toThrow(/TENANT_MAX_LIVE_SOCKETS_PER_KEY/);
    expect(() => loadConfig({ ...base, TENANT_MAX_ALERT_RULES_PER_COMMUNITY: 'many' }, 'api')).toThrow(/TENANT_MAX_ALERT_RULES_PER_COMMUNITY/);
  });

  test('when the count is below the cap, then nothing is refused', () => {
    expect(() => enforceCap(cap, 1)).not.toThrow();
  });

  test('when the count fills the cap, then 409 TENANT_LIMIT_REACHED names the cap, the count and the setting', () => {
    let err: unknown;
    try {
      enforceCap(cap, 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TenantLimitReachedError);
    expect(err).toMatchObject({
      httpStatus: 409,
      code: 'TENANT_LIMIT_REACHED',
      message: 'Tenant limit reached: community c1 already has 2 alert rules, the most allowed (TENANT_MAX_ALERT_RULES_PER_COMMUNITY=2); delete one before adding another',
      details: { setting: 'TENANT_MAX_ALERT_RULES_PER_COMMUNITY', max: 2, current: 2 },
    });
  });
});

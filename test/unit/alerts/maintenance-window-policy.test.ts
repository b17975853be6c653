import { assertMayOpenWindow } from '../../../src/shared/alerts/maintenance-window-policy';
import { ForbiddenError, ValidationError } from '../../../src/shared/errors';

const start = new Date('2026-12-01T00:00:00Z');
const days = (n: number) => new Date(start.getTime() + n * 86_400_000);

describe('assertMayOpenWindow', () => {
  test.each(['superadmin', 'distributor'] as const)('when a %s key opens a 90-day window for a whole community, then it may', (role) => {
    expect(() => assertMayOpenWindow(role, { nodeId: null, startsAt: start, endsAt: days(90) })).not.toThrow();
  });

  test('when a customer key opens a window for a whole community, then 403 says it needs a distributor or superadmin key', () => {
    expect(() => assertMayOpenWindow('customer', { nodeId: null, startsAt: start, endsAt: days(1) })).toThrow(ForbiddenError);
    expect(() => assertMayOpenWindow('customer', { nodeId: null, startsAt: start, endsAt: days(1) })).toThrow(/needs a distributor or superadmin key/);
  });

  test('when a customer key opens a window of up to 7 days on one node, then it may', () => {
    expect(() => assertMayOpenWindow('customer', { nodeId: 'n1', startsAt: start, endsAt: days(7) })).not.toThrow();
  });

  test('when a customer key opens a node window a minute over 7 days, then 400 names endsAt, the limit and the latest end allowed', () => {
    const endsAt = new Date(days(7).getTime() + 60_000);
    expect(() => assertMayOpenWindow('customer', { nodeId: 'n1', startsAt: start, endsAt })).toThrow(ValidationError);
    expect(() => assertMayOpenWindow('customer', { nodeId: 'n1', startsAt: start, endsAt })).toThrow('Invalid body: body.endsAt: a customer key may open windows of at most 7 days, so this one must end by 2026-12-08T00:00:00.000Z');
  });
});

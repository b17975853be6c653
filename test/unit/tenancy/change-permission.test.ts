import { assertMayChange, changeRefusal } from '../../../src/shared/tenancy/change-permission';
import { creatorOfRow, type Principal } from '../../../src/shared/tenancy/principal';
import { ForbiddenError } from '../../../src/shared/errors';

const RULE = { one: 'alert rule', many: 'alert rules' };
const me: Principal = { keyId: 'key-me', role: 'customer' };

describe('changeRefusal: who may change what another key created (within the scope it can see)', () => {
  test.each<[string, Principal, Principal]>([
    ['a superadmin key, what a superadmin key created', { keyId: 'a', role: 'superadmin' }, { keyId: 'b', role: 'superadmin' }],
    ['a superadmin key, what a customer key created', { keyId: 'a', role: 'superadmin' }, { keyId: 'b', role: 'customer' }],
    ['a distributor key, what another distributor key created', { keyId: 'a', role: 'distributor' }, { keyId: 'b', role: 'distributor' }],
    ['a distributor key, what a customer key created', { keyId: 'a', role: 'distributor' }, { keyId: 'b', role: 'customer' }],
    ['a distributor key, what a deleted customer key created', { keyId: 'a', role: 'distributor' }, { keyId: null, role: 'customer' }],
    ['a customer key, what it created', me, { keyId: 'key-me', role: 'customer' }],
  ])('when %s, then it may', (_case, actor, creator) => {
    expect(changeRefusal(RULE, actor, creator)).toBeUndefined();
  });

  test.each<[string, Principal, Principal, string]>([
    ['a distributor key, a superadmin\'s', { keyId: 'a', role: 'distributor' }, { keyId: 'b', role: 'superadmin' }, 'This alert rule was created by a superadmin key; a distributor key may only change alert rules created by distributor or customer keys'],
    ['a customer key, a superadmin\'s', me, { keyId: 'b', role: 'superadmin' }, 'This alert rule was created by a superadmin key; a customer key may only change alert rules it created'],
    ['a customer key, a row from before creators were recorded', me, { keyId: null, role: 'superadmin' }, 'This alert rule was created by a superadmin key; a customer key may only change alert rules it created'],
    ['a customer key, a distributor\'s', me, { keyId: 'b', role: 'distributor' }, 'This alert rule was created by a distributor key; a customer key may only change alert rules it created'],
    ['a customer key, another customer key\'s', me, { keyId: 'b', role: 'customer' }, 'This alert rule was created by another customer key; a customer key may only change alert rules it created'],
    ['a customer key, a deleted customer key\'s', me, { keyId: null, role: 'customer' }, 'This alert rule was created by a customer key that has since been deleted; a customer key may only change alert rules it created'],
  ])('when %s, then it may not and the refusal says why', (_case, actor, creator, message) => {
    expect(changeRefusal(RULE, actor, creator)).toBe(message);
    expect(() => assertMayChange(RULE, actor, creator)).toThrow(new ForbiddenError(message));
  });
});

describe('creatorOfRow', () => {
  test('when the role is one of ours, then it is read as it is', () => {
    expect(creatorOfRow({ created_by_key_id: 'k', created_by_role: 'distributor' })).toEqual({ keyId: 'k', role: 'distributor' });
  });

  test('when the role is unknown, then the row counts as a superadmin\'s: no tenant can change it', () => {
    expect(creatorOfRow({ created_by_key_id: 'k', created_by_role: 'operator' })).toEqual({ keyId: 'k', role: 'superadmin' });
  });
});

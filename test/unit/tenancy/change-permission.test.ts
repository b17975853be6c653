import { assertMayChange, changeRefusal } from '../../../src/shared/tenancy/change-permission';
import { creatorOfRow, type Principal } from '../../../src/shared/tenancy/principal';
import { ForbiddenError } from '../../../src/shared/errors';

const RULE = { one: 'alert rule', many: 'alert rules' };
const me: Principal = { keyId: 'key-me', userId: null, role: 'customer' };

describe('changeRefusal: who may change what another key created (within the scope it can see)', () => {
  test.each<[string, Principal, Principal]>([
    ['a superadmin key, what a superadmin key created', { keyId: 'a', userId: null, role: 'superadmin' }, { keyId: 'b', userId: null, role: 'superadmin' }],
    ['a superadmin key, what a customer key created', { keyId: 'a', userId: null, role: 'superadmin' }, { keyId: 'b', userId: null, role: 'customer' }],
    ['a distributor key, what another distributor key created', { keyId: 'a', userId: null, role: 'distributor' }, { keyId: 'b', userId: null, role: 'distributor' }],
    ['a distributor key, what a customer key created', { keyId: 'a', userId: null, role: 'distributor' }, { keyId: 'b', userId: null, role: 'customer' }],
    ['a distributor key, what a deleted customer key created', { keyId: 'a', userId: null, role: 'distributor' }, { keyId: null, userId: null, role: 'customer' }],
    ['a customer key, what it created', me, { keyId: 'key-me', userId: null, role: 'customer' }],
    ['a customer user, what that user created', { keyId: null, userId: 'user-me', role: 'customer' }, { keyId: null, userId: 'user-me', role: 'customer' }],
    ['a distributor user, what a customer user created', { keyId: null, userId: 'u1', role: 'distributor' }, { keyId: null, userId: 'u2', role: 'customer' }],
  ])('when %s, then it may', (_case, actor, creator) => {
    expect(changeRefusal(RULE, actor, creator)).toBeUndefined();
  });

  test.each<[string, Principal, Principal, string]>([
    ['a distributor key, a superadmin\'s', { keyId: 'a', userId: null, role: 'distributor' }, { keyId: 'b', userId: null, role: 'superadmin' }, 'This alert rule was created by a superadmin key; a distributor key may only change alert rules created by distributor or customer keys'],
    ['a customer key, a superadmin\'s', me, { keyId: 'b', userId: null, role: 'superadmin' }, 'This alert rule was created by a superadmin key; a customer key may only change alert rules it created'],
    ['a customer key, a row from before creators were recorded', me, { keyId: null, userId: null, role: 'superadmin' }, 'This alert rule was created by a superadmin key; a customer key may only change alert rules it created'],
    ['a customer key, a distributor\'s', me, { keyId: 'b', userId: null, role: 'distributor' }, 'This alert rule was created by a distributor key; a customer key may only change alert rules it created'],
    ['a customer key, another customer key\'s', me, { keyId: 'b', userId: null, role: 'customer' }, 'This alert rule was created by another customer key; a customer key may only change alert rules it created'],
    ['a customer key, a deleted customer key\'s', me, { keyId: null, userId: null, role: 'customer' }, 'This alert rule was created by a customer key that has since been deleted; a customer key may only change alert rules it created'],
    ['a customer user, another customer user\'s', { keyId: null, userId: 'u1', role: 'customer' }, { keyId: null, userId: 'u2', role: 'customer' }, 'This alert rule was created by another customer user; a customer key may only change alert rules it created'],
    ['a customer key, a customer user\'s', me, { keyId: null, userId: 'u2', role: 'customer' }, 'This alert rule was created by another customer user; a customer key may only change alert rules it created'],
  ])('when %s, then it may not and the refusal says why', (_case, actor, creator, message) => {
    expect(changeRefusal(RULE, actor, creator)).toBe(message);
    expect(() => assertMayChange(RULE, actor, creator)).toThrow(new ForbiddenError(message));
  });
});

describe('creatorOfRow', () => {
  test('when the role is one of ours, then it is read as it is', () => {
    expect(creatorOfRow({ created_by_key_id: 'k', created_by_role: 'distributor' })).toEqual({ keyId: 'k', userId: null, role: 'distributor' });
    expect(creatorOfRow({ created_by_key_id: null, created_by_user_id: 'u', created_by_role: 'customer' })).toEqual({ keyId: null, userId: 'u', role: 'customer' });
  });

  test('when the role is unknown, then the row counts as a superadmin\'s: no tenant can change it', () => {
    expect(creatorOfRow({ created_by_key_id: 'k', created_by_role: 'operator' })).toEqual({ keyId: 'k', userId: null, role: 'superadmin' });
  });
});

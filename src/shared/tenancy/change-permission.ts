import { ForbiddenError } from '../errors';
import { samePrincipal, type Principal } from './principal';

/** How the refusal names the resource: "alert rule" / "alert rules". */
export interface ResourceNoun {
  one: string;
  many: string;
}

/**
 * Why `actor` may not change or delete a resource `creator` made, or undefined when it may. Which
 * communities the actor can reach is the scoped read's job, done before this; this rule adds who
 * within them:
 * - a superadmin key (or user) may change anything;
 * - a distributor anything distributors or customers created, not a superadmin's;
 * - a customer only what that very key, or that very user, created (several customers can share
 *   a community, so "my community's" would let one customer undo another's rules).
 */
export function changeRefusal(noun: ResourceNoun, actor: Principal, creator: Principal): string | undefined {
  switch (actor.role) {
    case 'superadmin':
      return undefined;
    case 'distributor':
      if (creator.role !== 'superadmin') return undefined;
      return `This ${noun.one} was created by a superadmin key; a distributor key may only change ${noun.many} created by distributor or customer keys`;
    case 'customer': {
      if (creator.role === 'customer' && samePrincipal(actor, creator)) return undefined;
      const by =
        creator.role !== 'customer'
          ? `a ${creator.role} key`
          : creator.keyId === null && creator.userId === null
            ? 'a customer key that has since been deleted'
            : creator.userId !== null
              ? 'another customer user'
              : 'another customer key';
      return `This ${noun.one} was created by ${by}; a customer key may only change ${noun.many} it created`;
    }
  }
}

/** Throws 403 with the refusal when `actor` may not change what `creator` made. */
export function assertMayChange(noun: ResourceNoun, actor: Principal, creator: Principal): void {
  const refusal = changeRefusal(noun, actor, creator);
  if (refusal) throw new ForbiddenError(refusal);
}

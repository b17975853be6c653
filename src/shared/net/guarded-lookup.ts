import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { AddressPolicy } from './address-policy';
import { BlockedAddressError } from './blocked-address-error';

/** Name resolution as the guard needs it: every address of a name (injectable in tests). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect that only ever returns addresses the policy allows. Checking
 * the answer the socket will actually use (not an earlier one) is what defeats DNS rebinding.
 * Blocked addresses are dropped; when none is left the connection fails with
 * BlockedAddressError, so a dual-stack receiver whose IPv4 range is allowed still works.
 */
export function createGuardedLookup(policy: AddressPolicy, resolve: Resolve = systemResolve) {
  return function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
    resolve(hostname).then(
      (answers) => {
        const wanted = answers.filter((a) => !options.family || options.family === a.family || options.family === `IPv${a.family}`);
        const allowed = wanted.filter((a) => policy.check(a.address).allowed);
        const first = allowed[0];
        if (!first) {
          const blocked = wanted.map((a) => policy.check(a.address)).find((v) => !v.allowed);
          if (blocked && !blocked.allowed) return callback(new BlockedAddressError(hostname, blocked), '');
          return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
        }
        if (options.all) callback(null, allowed);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

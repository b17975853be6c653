import { BlockList, isIP } from 'node:net';
import { blockedRangeOf, RANGE_LABELS, type BlockedRange } from './blocked-ranges';
import type { Cidr } from './cidr-list';
import { embeddedIpv4, type EmbeddedIpv4 } from './embedded-ipv4';

export type AddressVerdict = { allowed: true } | { allowed: false; address: string; range: BlockedRange; embedded?: EmbeddedIpv4 };

/**
 * Which IP addresses an outbound request to a user-given URL may connect to: public ones, plus
 * the operator's allow-list (on-premise receivers). Used at connect time by the guarded
 * dispatcher and, for literal addresses, when a URL is stored.
 */
export interface AddressPolicy {
  check(ip: string): AddressVerdict;
  /** The operator's allow-list, for logs and the doctor. */
  readonly allowedCidrs: readonly Cidr[];
}

export function createAddressPolicy(opts: { allowedCidrs: readonly Cidr[] }): AddressPolicy {
  const allow = new BlockList();
  for (const c of opts.allowedCidrs) allow.addSubnet(c.network, c.prefix, c.family);

  return {
    allowedCidrs: opts.allowedCidrs,
    check(raw) {
      // A zone id (fe80::1%eth0) only picks the interface; the address decides.
      const ip = raw.split('%')[0] ?? '';
      const version = isIP(ip);
      if (version === 0) throw new TypeError(`not an IP address: ${JSON.stringify(raw.slice(0, 64))}`);
      const family = version === 6 ? 'ipv6' : 'ipv4';
      const embedded = family === 'ipv6' ? embeddedIpv4(ip) : undefined;
      if (allow.check(ip, family) || (embedded && allow.check(embedded.ipv4, 'ipv4'))) return { allowed: true };
      // The embedded IPv4 names the range better (::7f00:1 is loopback, not just "reserved").
      const range = (embedded && blockedRangeOf(embedded.ipv4, 'ipv4')) ?? blockedRangeOf(ip, family);
      return range ? { allowed: false, address: ip, range, ...(embedded ? { embedded } : {}) } : { allowed: true };
    },
  };
}

/** "a loopback address (127.0.0.1)", "a private (RFC 1918) address (::ffff:a00:5, IPv4-mapped 10.0.0.5)". */
export function describeBlocked(v: Extract<AddressVerdict, { allowed: false }>): string {
  const via = v.embedded ? `, ${v.embedded.form} ${v.embedded.ipv4}` : '';
  return `${RANGE_LABELS[v.range]} (${v.address}${via})`;
}

/**
 * Refused before any DNS: `localhost` and `*.localhost` are loopback by definition (RFC 6761),
 * so they get the loopback decision without a lookup.
 */
export function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/**
 * Why a URL's host may not be reached, judged without DNS (names are judged at connect time, on
 * the address they resolve to then); undefined when it may be tried. `hostname` is
 * `URL.hostname`: WHATWG parsing already turned 0x7f000001, 2130706433, 0177.0.0.1 and 127.1
 * into 127.0.0.1, and IPv6 into its canonical bracketed form.
 */
export function hostProblem(hostname: string, policy: AddressPolicy): string | undefined {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (isIP(host)) {
    const verdict = policy.check(host);
    return verdict.allowed ? undefined : `points to ${describeBlocked(verdict)}`;
  }
  if (isLocalhostName(host)) {
    const loopback = policy.check('127.0.0.1');
    return loopback.allowed ? undefined : `points to localhost (${RANGE_LABELS.loopback})`;
  }
  return undefined;
}

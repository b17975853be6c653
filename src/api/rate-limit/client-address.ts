import { isIPv4, isIPv6 } from 'node:net';
import { ipv6GroupsOf } from '../../shared/net/ipv6-groups';

/**
 * The bucket a client address counts in: an IPv4 address (also when IPv4-mapped) as it is, an
 * IPv6 address by its /64. One subscriber is usually given a whole /64 and could otherwise take a
 * fresh address, and so a fresh bucket, for every request.
 */
export function clientBucketOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(ip)) return ip;
  const address = ip.split('%')[0] ?? ip;
  if (!isIPv6(address)) return ip;
  return `${ipv6GroupsOf(address).slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

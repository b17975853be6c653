import { isIPv4, isIPv6 } from 'node:net';

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
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, "::" expanded, leading zeros dropped. */
function ipv6Groups(address: string): string[] {
  const parts = (s: string) => (s === '' ? [] : s.split(':')).flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])); // an IPv4 tail is two groups
  const [head = '', tail] = address.split('::');
  const before = parts(head);
  const after = tail === undefined ? [] : parts(tail);
  const zeros = Array.from({ length: 8 - before.length - after.length }, () => '0');
  return [...before, ...zeros, ...after].map((g) => parseInt(g, 16).toString(16));
}

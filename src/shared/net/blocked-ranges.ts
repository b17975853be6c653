import { BlockList } from 'node:net';

/**
 * Address ranges outbound requests to user-given URLs never reach (webhooks today): everything
 * that is not the public internet, after IANA's special-purpose registries. One list per kind,
 * so a refusal can say why. IPv4-mapped IPv6 (::ffff:a.b.c.d) needs no entry: BlockList matches
 * it against the IPv4 rules; the other IPv6 forms that embed IPv4 are in embedded-ipv4.ts.
 */
export type BlockedRange = 'loopback' | 'unspecified' | 'link-local' | 'private' | 'carrier-grade-nat' | 'unique-local' | 'multicast' | 'broadcast' | 'reserved';

/** How a refusal names the range to a user ("points to a loopback address"). */
export const RANGE_LABELS: Record<BlockedRange, string> = {
  loopback: 'a loopback address',
  unspecified: 'an unspecified address',
  'link-local': 'a link-local address (cloud metadata lives there)',
  private: 'a private (RFC 1918) address',
  'carrier-grade-nat': 'a carrier-grade NAT (100.64.0.0/10) address',
  'unique-local': 'a unique local IPv6 (fc00::/7) address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved or special-purpose address',
};

type Rule = [range: BlockedRange, network: string, prefix: number];

// Order matters: the first match names the range (255.255.255.255 is broadcast, not reserved).
const RULES: readonly Rule[] = [
  ['broadcast', '255.255.255.255', 32],
  ['unspecified', '0.0.0.0', 8],
  ['loopback', '127.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['private', '172.16.0.0', 12],
  ['private', '192.168.0.0', 16],
  ['carrier-grade-nat', '100.64.0.0', 10],
  ['link-local', '169.254.0.0', 16],
  ['multicast', '224.0.0.0', 4],
  ['reserved', '240.0.0.0', 4],
  ['reserved', '192.0.0.0', 24], // IETF protocol assignments
  ['reserved', '192.0.2.0', 24], // documentation (TEST-NET-1..3)
  ['reserved', '198.51.100.0', 24],
  ['reserved', '203.0.113.0', 24],
  ['reserved', '198.18.0.0', 15], // benchmarking
  ['reserved', '192.88.99.0', 24], // 6to4 relay anycast
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['link-local', 'fe80::', 10],
  ['unique-local', 'fc00::', 7],
  ['multicast', 'ff00::', 8],
  ['reserved', 'fec0::', 10], // site-local, deprecated
  ['reserved', '::', 96], // IPv4-compatible, deprecated and unrouted
  ['reserved', '64:ff9b:1::', 48], // local-use NAT64: an operator's own translator
  ['reserved', '100::', 64], // discard-only
  ['reserved', '2001::', 23], // IETF protocol assignments, Teredo included
  ['reserved', '2001:db8::', 32], // documentation
];

const lists = new Map<BlockedRange, BlockList>();
for (const [range, network, prefix] of RULES) {
  const list = lists.get(range) ?? new BlockList();
  list.addSubnet(network, prefix, network.includes(':') ? 'ipv6' : 'ipv4');
  lists.set(range, list);
}
// Narrow kinds first: the deprecated ::/96 rule would otherwise name :: and ::1 "reserved".
const ORDER: readonly BlockedRange[] = [...new Set<BlockedRange>(['broadcast', 'unspecified', 'loopback', ...RULES.map(([r]) => r)])];

/** The blocked range an IP address (v4 or v6, already validated) falls in, or undefined if it is public. */
export function blockedRangeOf(ip: string, family: 'ipv4' | 'ipv6'): BlockedRange | undefined {
  for (const range of ORDER) if (lists.get(range)!.check(ip, family)) return range;
  return undefined;
}

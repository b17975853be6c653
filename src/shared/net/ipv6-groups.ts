/**
 * The eight 16-bit groups of an address that net.isIPv6 accepted (zone id already removed), "::"
 * expanded. Shared by the outbound address policy and the rate limiter's /64 buckets.
 */
export function ipv6GroupsOf(ipv6: string): number[] {
  // A dotted IPv4 tail (::ffff:127.0.0.1) is two groups written differently.
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ipv6);
  const text = dotted
    ? `${dotted[1]}${((Number(dotted[2]) << 8) | Number(dotted[3])).toString(16)}:${((Number(dotted[4]) << 8) | Number(dotted[5])).toString(16)}`
    : ipv6;
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}

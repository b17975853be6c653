/**
 * IPv6 forms that carry an IPv4 address: a socket to one of them can end at that IPv4 host (the
 * kernel for mapped addresses, a NAT64 gateway, a 6to4 relay), so the IPv4 part must pass the
 * same policy as if it had been written plainly.
 */
import { ipv6GroupsOf } from './ipv6-groups';

export type Ipv4Embedding = 'IPv4-mapped' | 'IPv4-translated' | 'IPv4-compatible' | 'NAT64' | '6to4';

export interface EmbeddedIpv4 {
  form: Ipv4Embedding;
  ipv4: string;
}

const ipv4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/** The IPv4 address inside an IPv6 address, if it has one of the embedding forms. */
export function embeddedIpv4(ipv6: string): EmbeddedIpv4 | undefined {
  const g = ipv6GroupsOf(ipv6);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo3 = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  if (zeroTo3 && g4 === 0 && g5 === 0xffff) return { form: 'IPv4-mapped', ipv4: ipv4Of(g6, g7) };
  if (zeroTo3 && g4 === 0xffff && g5 === 0) return { form: 'IPv4-translated', ipv4: ipv4Of(g6, g7) };
  // :: and ::1 are the IPv6 unspecified and loopback addresses, not IPv4-compatible ones.
  if (zeroTo3 && g4 === 0 && g5 === 0 && (g6 !== 0 || g7 > 1)) return { form: 'IPv4-compatible', ipv4: ipv4Of(g6, g7) };
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return { form: 'NAT64', ipv4: ipv4Of(g6, g7) };
  if (g0 === 0x2002) return { form: '6to4', ipv4: ipv4Of(g1, g2) };
  return undefined;
}

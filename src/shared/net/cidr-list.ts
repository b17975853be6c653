import { isIP } from 'node:net';

export interface Cidr {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses "10.20.0.0/16, fd00:1::/64" (a bare address means just that address). Hand-rolled
 * only around net.isIP, which validates the address part; no IPv4 shorthand is accepted.
 */
export function parseCidrList(raw: string): { cidrs: Cidr[]; problems: string[] } {
  const cidrs: Cidr[] = [];
  const problems: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [network = '', prefixText, extra] = item.split('/');
    const version = isIP(network);
    const max = version === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (version === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      problems.push(`"${item}" is not a CIDR (examples: 10.20.0.0/16, fd00:1::/64)`);
      continue;
    }
    cidrs.push({ network, prefix, family: version === 6 ? 'ipv6' : 'ipv4' });
  }
  return { cidrs, problems };
}

export const formatCidr = (c: Cidr) => `${c.network}/${c.prefix}`;

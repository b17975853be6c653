import { createAddressPolicy, describeBlocked, hostProblem, type AddressVerdict } from '../../../src/shared/net/address-policy';
import type { BlockedRange } from '../../../src/shared/net/blocked-ranges';
import { parseCidrList } from '../../../src/shared/net/cidr-list';
import { embeddedIpv4 } from '../../../src/shared/net/embedded-ipv4';

const publicOnly = createAddressPolicy({ allowedCidrs: [] });
const allowing = (list: string) => createAddressPolicy({ allowedCidrs: parseCidrList(list).cidrs });
const rangeOf = (v: AddressVerdict) => (v.allowed ? 'public' : v.range);

describe('address policy', () => {
  test.each<[string, BlockedRange]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['100.127.255.255', 'carrier-grade-nat'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
    ['100::1', 'reserved'],
    ['64:ff9b:1::a00:5', 'reserved'], // local-use NAT64
  ])('when the address is %s, then it is refused as %s', (ip, range) => {
    expect(rangeOf(publicOnly.check(ip))).toBe(range);
  });

  test.each<[string, BlockedRange, string]>([
    ['::ffff:127.0.0.1', 'loopback', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'loopback', 'IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'link-local', 'IPv4-mapped'],
    ['::ffff:10.0.0.5', 'private', 'IPv4-mapped'],
    ['::ffff:0:7f00:1', 'loopback', 'IPv4-translated'],
    ['::127.0.0.1', 'loopback', 'IPv4-compatible'],
    ['::a00:5', 'private', 'IPv4-compatible'],
    ['64:ff9b::7f00:1', 'loopback', 'NAT64'],
    ['64:ff9b::169.254.169.254', 'link-local', 'NAT64'],
    ['2002:7f00:1::', 'loopback', '6to4'],
    ['2002:c0a8:101::1', 'private', '6to4'],
  ])('when the IPv6 address %s embeds a blocked IPv4 address, then it is refused as %s (%s)', (ip, range, form) => {
    const verdict = publicOnly.check(ip);
    expect(verdict).toMatchObject({ allowed: false, range, embedded: { form } });
  });

  test.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'when the address %s is public, then it is allowed',
    (ip) => {
      expect(publicOnly.check(ip)).toEqual({ allowed: true });
    },
  );

  test('when an IPv4-compatible address embeds a public address, then it is still refused: the form is deprecated and unrouted', () => {
    expect(publicOnly.check('::808:808')).toMatchObject({ allowed: false, range: 'reserved', embedded: { form: 'IPv4-compatible', ipv4: '8.8.8.8' } });
  });

  test('when the allow-list names a range, then addresses in it pass, including their IPv6-mapped form, and nothing else does', () => {
    const policy = allowing('10.20.0.0/16, fd00:1::/64');
    expect(policy.check('10.20.3.4').allowed).toBe(true);
    expect(policy.check('::ffff:10.20.3.4').allowed).toBe(true);
    expect(policy.check('64:ff9b::a14:304').allowed).toBe(true);
    expect(policy.check('fd00:1::9').allowed).toBe(true);
    expect(rangeOf(policy.check('10.21.0.1'))).toBe('private');
    expect(rangeOf(policy.check('fd00:2::9'))).toBe('unique-local');
    expect(rangeOf(policy.check('127.0.0.1'))).toBe('loopback');
  });

  test('when the allow-list is the test default, then loopback passes in both families but metadata does not', () => {
    const policy = allowing('127.0.0.0/8,::1/128');
    expect(policy.check('127.0.0.1').allowed).toBe(true);
    expect(policy.check('::1').allowed).toBe(true);
    expect(rangeOf(policy.check('169.254.169.254'))).toBe('link-local');
  });

  test('when the input is not an IP address, then the policy throws instead of guessing', () => {
    expect(() => publicOnly.check('localhost')).toThrow('not an IP address');
    expect(() => publicOnly.check('0x7f000001')).toThrow('not an IP address');
  });

  test('when a refusal is described, then it names the range, the address and any embedding', () => {
    const mapped = publicOnly.check('::ffff:a00:5');
    if (mapped.allowed) throw new Error('expected a refusal');
    expect(describeBlocked(mapped)).toBe('a private (RFC 1918) address (::ffff:a00:5, IPv4-mapped 10.0.0.5)');
  });
});

describe('URL host check (no DNS)', () => {
  const hostOf = (url: string) => new URL(url).hostname;

  test.each([
    ['https://0x7f000001/', 'a loopback address (127.0.0.1)'],
    ['https://2130706433/', 'a loopback address (127.0.0.1)'],
    ['https://017700000001/', 'a loopback address (127.0.0.1)'],
    ['https://0177.0.0.1/', 'a loopback address (127.0.0.1)'],
    ['https://127.1/', 'a loopback address (127.0.0.1)'],
    ['https://127.0.0.1./', 'a loopback address (127.0.0.1)'],
    ['https://%31%32%37.0.0.1/', 'a loopback address (127.0.0.1)'],
    ['https://0/', 'an unspecified address (0.0.0.0)'],
    ['https://[::ffff:127.0.0.1]/', 'a loopback address (::ffff:7f00:1, IPv4-mapped 127.0.0.1)'],
    ['https://[0:0:0:0:0:ffff:a9fe:a9fe]/', 'a link-local address (cloud metadata lives there) (::ffff:a9fe:a9fe, IPv4-mapped 169.254.169.254)'],
    ['https://localhost/', 'localhost (a loopback address)'],
    ['https://LOCALHOST./', 'localhost (a loopback address)'],
    ['https://api.localhost/', 'localhost (a loopback address)'],
  ])('when the URL is %s, then WHATWG parsing normalises it and it points to %s', (url, what) => {
    expect(hostProblem(hostOf(url), publicOnly)).toBe(`points to ${what}`);
  });

  test('when the host is a name, then it is not judged now: the sender judges the address it resolves to', () => {
    expect(hostProblem(hostOf('https://hooks.example.com/x'), publicOnly)).toBeUndefined();
    expect(hostProblem(hostOf('https://does-not-resolve.invalid/x'), publicOnly)).toBeUndefined();
    expect(hostProblem(hostOf('https://[2606:4700::1111]/x'), publicOnly)).toBeUndefined();
  });

  test('when loopback is allowed, then localhost is allowed too', () => {
    expect(hostProblem('localhost', allowing('127.0.0.0/8'))).toBeUndefined();
  });
});

describe('embedded IPv4', () => {
  test('when an address has no embedding form, then there is none; :: and ::1 are IPv6 themselves', () => {
    expect(embeddedIpv4('2606:4700::1111')).toBeUndefined();
    expect(embeddedIpv4('::')).toBeUndefined();
    expect(embeddedIpv4('::1')).toBeUndefined();
    expect(embeddedIpv4('::ffff:1.2.3.4')).toEqual({ form: 'IPv4-mapped', ipv4: '1.2.3.4' });
    expect(embeddedIpv4('2002:0102:0304:1::')).toEqual({ form: '6to4', ipv4: '1.2.3.4' });
  });
});

describe('CIDR list', () => {
  test('when the list is valid, then every entry is kept; a bare address is a single host', () => {
    expect(parseCidrList(' 10.20.0.0/16 , fd00::/8,192.168.5.7 ,, ')).toEqual({
      cidrs: [
        { network: '10.20.0.0', prefix: 16, family: 'ipv4' },
        { network: 'fd00::', prefix: 8, family: 'ipv6' },
        { network: '192.168.5.7', prefix: 32, family: 'ipv4' },
      ],
      problems: [],
    });
    expect(parseCidrList('')).toEqual({ cidrs: [], problems: [] });
  });

  test.each(['10.0.0/8', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', 'intranet', '10.0.0.0/x', '0x0a000000/8'])('when an entry is %s, then it is a problem naming it', (entry) => {
    const { cidrs, problems } = parseCidrList(`192.168.0.0/16,${entry}`);
    expect(cidrs).toHaveLength(1);
    expect(problems).toEqual([`"${entry}" is not a CIDR (examples: 10.20.0.0/16, fd00:1::/64)`]);
  });
});

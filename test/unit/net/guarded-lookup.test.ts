import type { LookupAddress, LookupOptions } from 'node:dns';
import { createAddressPolicy } from '../../../src/shared/net/address-policy';
import { BlockedAddressError } from '../../../src/shared/net/blocked-address-error';
import { parseCidrList } from '../../../src/shared/net/cidr-list';
import { createGuardedLookup } from '../../../src/shared/net/guarded-lookup';

const policy = (allowed = '') => createAddressPolicy({ allowedCidrs: parseCidrList(allowed).cidrs });

/** A resolver with a fixed zone file: no DNS leaves the test. */
const zone: Record<string, LookupAddress[]> = {
  'public.example': [{ address: '93.184.216.34', family: 4 }],
  'rebind.example': [{ address: '127.0.0.1', family: 4 }],
  'metadata.example': [{ address: '169.254.169.254', family: 4 }],
  'dual.example': [
    { address: '::1', family: 6 },
    { address: '127.0.0.1', family: 4 },
  ],
  'mixed.example': [
    { address: '10.0.0.5', family: 4 },
    { address: '93.184.216.34', family: 4 },
  ],
};
const resolve = async (hostname: string) => {
  const answers = zone[hostname];
  if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return answers;
};

function lookup(p: ReturnType<typeof policy>, hostname: string, options: LookupOptions = {}) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((done) => {
    createGuardedLookup(p, resolve)(hostname, options, (err, address, family) => done({ err, address, family }));
  });
}

describe('guarded lookup', () => {
  test('when a name resolves to a public address, then that address is returned in the shape asked for', async () => {
    expect(await lookup(policy(), 'public.example')).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await lookup(policy(), 'public.example', { all: true })).toEqual({ err: null, address: [{ address: '93.184.216.34', family: 4 }], family: undefined });
  });

  test.each([
    ['rebind.example', 'loopback'],
    ['metadata.example', 'link-local'],
    ['dual.example', 'loopback'],
  ])('when %s resolves only to blocked addresses, then the connection fails with BlockedAddressError (%s)', async (name, range) => {
    const { err } = await lookup(policy(), name, { all: true });
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect(err).toMatchObject({ code: 'ERR_BLOCKED_ADDRESS', hostname: name, verdict: { range } });
  });

  test('when a name resolves to blocked and public addresses, then only the public ones are offered', async () => {
    expect(await lookup(policy(), 'mixed.example', { all: true })).toMatchObject({ err: null, address: [{ address: '93.184.216.34', family: 4 }] });
  });

  test('when only IPv4 loopback is allowed, then a dual-stack localhost connects over IPv4 and never to ::1', async () => {
    expect(await lookup(policy('127.0.0.0/8'), 'dual.example', { all: true })).toMatchObject({ err: null, address: [{ address: '127.0.0.1', family: 4 }] });
    expect(await lookup(policy('127.0.0.0/8'), 'dual.example', { family: 6 })).toMatchObject({ err: { code: 'ERR_BLOCKED_ADDRESS' } });
  });

  test('when the name does not resolve, then the resolver error passes through', async () => {
    expect((await lookup(policy(), 'nowhere.example')).err).toMatchObject({ code: 'ENOTFOUND' });
  });
});

import { clientBucketOf } from '../../../src/api/rate-limit/client-address';

describe('clientBucketOf', () => {
  test('when the address is IPv4 or IPv4-mapped IPv6, then the bucket is the IPv4 address', () => {
    expect(clientBucketOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientBucketOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientBucketOf('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  test('when two IPv6 addresses share a /64, then they share a bucket, however they are written', () => {
    const a = clientBucketOf('2001:db8:85a3:12::1');
    expect(a).toBe('2001:db8:85a3:12::/64');
    expect(clientBucketOf('2001:0db8:85a3:0012:ffff:ffff:ffff:ffff')).toBe(a);
    expect(clientBucketOf('2001:db8:85a3:12:0:0:0:99%eth0')).toBe(a);
    expect(clientBucketOf('2001:db8:85a3:13::1')).not.toBe(a);
  });

  test('when the address is short-hand or ends in an IPv4 part, then the /64 is still the first four groups', () => {
    expect(clientBucketOf('::1')).toBe('0:0:0:0::/64');
    expect(clientBucketOf('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientBucketOf('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0::/64');
  });

  test('when there is no address (a closed socket), then every such request shares one bucket', () => {
    expect(clientBucketOf(undefined)).toBe('unknown');
    expect(clientBucketOf('')).toBe('unknown');
  });
});

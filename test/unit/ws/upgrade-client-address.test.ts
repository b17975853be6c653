import type { IncomingMessage } from 'node:http';
import { createUpgradeClientBucket } from '../../../src/api/ws/upgrade-client-address';

/** An upgrade request as the rate limiter reads it: its headers and the socket's remote address. */
const upgrade = (remoteAddress: string, forwardedFor?: string) =>
  ({ headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe('createUpgradeClientBucket: the client address of an upgrade, as req.ip is for REST', () => {
  test('when one proxy hop is trusted (Render), then the address that proxy appended counts, not what the client wrote before it', () => {
    const bucketOf = createUpgradeClientBucket(1);
    expect(bucketOf(upgrade('10.0.0.5', '1.2.3.4, 203.0.113.9'))).toBe('203.0.113.9');
  });

  test('when no proxy is trusted, then X-Forwarded-For is ignored', () => {
    const bucketOf = createUpgradeClientBucket(0);
    expect(bucketOf(upgrade('198.51.100.7', '203.0.113.9'))).toBe('198.51.100.7');
  });

  test('when proxies are listed by address, then addresses past the listed ones count', () => {
    const bucketOf = createUpgradeClientBucket(['loopback', '10.0.0.0/8']);
    expect(bucketOf(upgrade('127.0.0.1', '203.0.113.9, 10.1.2.3'))).toBe('203.0.113.9');
    expect(bucketOf(upgrade('198.51.100.7', '203.0.113.9'))).toBe('198.51.100.7');
  });

  test('when the client is IPv6, then it counts by its /64 like REST', () => {
    const bucketOf = createUpgradeClientBucket(0);
    expect(bucketOf(upgrade('2001:db8:1:2:3:4:5:6'))).toBe('2001:db8:1:2::/64');
  });
});

import { isIP } from 'node:net';

/**
 * A host only this machine can reach: a unix socket path (or no host, which means one), `localhost`,
 * 127.0.0.0/8 or ::1. Traffic to it never crosses a network, so plaintext and open ports are fine there.
 */
export function isLoopbackHost(rawHost: string): boolean {
  const host = rawHost.trim().replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '' || host.startsWith('/')) return true;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

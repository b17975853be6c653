import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { AddressPolicy } from './address-policy';
import { BlockedAddressError } from './blocked-address-error';
import { createGuardedLookup, type Resolve } from './guarded-lookup';

/**
 * The undici dispatcher for every request to a user-given URL. Each new connection (the first
 * request, every redirect hop that opens one, every retry) is checked on the address it really
 * connects to:
 * - a host name goes through the guarded lookup (net.connect never calls `lookup` for an IP);
 * - an IP literal, which skips `lookup`, is checked here before connecting;
 * - and the connected peer is checked once more, whatever path its address took.
 */
export function createGuardedDispatcher(opts: { policy: AddressPolicy; resolve?: Resolve; connectTimeoutMs?: number }): Dispatcher {
  const { policy } = opts;
  const connect = buildConnector({ lookup: createGuardedLookup(policy, opts.resolve), timeout: opts.connectTimeoutMs ?? 10_000 });

  return new Agent({
    connect(options, callback) {
      const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(host)) {
        const verdict = policy.check(host);
        if (!verdict.allowed) return callback(new BlockedAddressError(host, verdict), null);
      }
      connect(options, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error('no socket'), null);
        const peer = socket.remoteAddress;
        const verdict = peer ? policy.check(peer) : undefined;
        if (verdict && !verdict.allowed) {
          socket.destroy();
          return callback(new BlockedAddressError(host, verdict), null);
        }
        callback(null, socket);
      });
    },
  });
}

import type { IncomingMessage } from 'node:http';
import express from 'express';
import { clientBucketOf } from '../rate-limit/client-address';

/**
 * The rate-limit bucket of an upgrade request's client: the address Express's `req.ip` gives a
 * REST request under the same TRUST_PROXY, so an address counts in the same bucket either way.
 * Upgrades never pass through the Express app; this asks a bare app with the same 'trust proxy'
 * setting, so X-Forwarded-For is read by exactly the same rules (proxy-addr).
 */
export function createUpgradeClientBucket(trustProxy: number | readonly string[]): (req: IncomingMessage) => string {
  const app = express();
  app.set('trust proxy', typeof trustProxy === 'number' ? trustProxy : [...trustProxy]);
  return (req) => {
    // req.ip reads only the headers and the socket's remote address, through the app's trust function.
    const view = Object.create(app.request, { headers: { value: req.headers }, socket: { value: req.socket } }) as express.Request;
    return clientBucketOf(view.ip);
  };
}

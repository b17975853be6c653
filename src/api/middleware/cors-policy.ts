import cors, { type CorsOptions } from 'cors';
import type { RequestHandler } from 'express';

/** How long a browser may reuse a preflight answer (Chromium caps it at 2 h). */
export const CORS_MAX_AGE_S = 600;

/**
 * CORS for browser clients on the CORS_ORIGINS origins, with the maintained `cors` middleware. It
 * runs before authentication and the rate limits, so a preflight (which carries no Authorization)
 * gets its 204 at once, and every answer to an allowed origin (401, 404, 429 included) is readable.
 * An origin not listed gets no CORS header at all (its preflight a bare 204). No credentials: the API takes a bearer token,
 * never a cookie. Empty CORS_ORIGINS: no middleware, nothing changes.
 */
export function corsPolicy(origins: readonly string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  const options: CorsOptions = {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    credentials: false,
    maxAge: CORS_MAX_AGE_S,
    optionsSuccessStatus: 204,
  };
  const handler = cors(options);
  return (req, res, next) => {
    // Answers differ by Origin (headers or none), so caches must key on it, whatever the origin.
    res.vary('Origin');
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (preflight && !(req.headers.origin !== undefined && allowed.has(req.headers.origin))) {
      // A refused preflight: no CORS header, so the browser stops; answered here so it never counts as a failed authentication.
      res.status(204).setHeader('Content-Length', '0');
      res.end();
      return;
    }
    handler(req, res, next);
  };
}

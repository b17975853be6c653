import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../../shared/errors';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
// Sec-Fetch-Site values a page on another site cannot produce: the board itself, or the user typing a URL.
const SAME_ORIGIN_FETCH_SITES = new Set(['same-origin', 'none']);

export const CROSS_SITE_WRITE_MESSAGE =
  'Cross-site request refused: the queue board accepts changes only from its own pages (Origin or Sec-Fetch-Site must be this site)';

/** This request's own origin as a browser would write it ("https://host[:port]"), behind the trusted proxies. */
function ownOrigin(req: Request): string | undefined {
  const host = req.get('host');
  if (!host) return undefined;
  try {
    return new URL(`${req.protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}

function isSameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (origin !== undefined) {
    // "null" (sandboxed frames, some redirects) and anything unparsable are foreign.
    try {
      return new URL(origin).origin === ownOrigin(req);
    } catch {
      return false;
    }
  }
  const site = req.get('sec-fetch-site');
  // Neither header: not a browser (curl, a script with a Bearer key), which no other site can drive.
  return site === undefined || SAME_ORIGIN_FETCH_SITES.has(site.toLowerCase());
}

/**
 * CSRF guard for the queue board: a browser signed in with HTTP Basic sends those credentials on
 * any request to this site, including a form POST or fetch from another site, so changes (pause,
 * retry, clean, remove) are accepted only from the same origin. Browsers send Origin on every
 * non-GET request; Sec-Fetch-Site is the fallback when it is missing. 403 otherwise.
 */
export function sameOriginWrites() {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!SAFE_METHODS.has(req.method) && !isSameOrigin(req)) throw new ForbiddenError(CROSS_SITE_WRITE_MESSAGE);
    next();
  };
}

import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The `route` label of requests no route matched: unknown paths, and requests refused before routing (401). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route pattern a request matched (`/api/v1/nodes/:id`), never its URL: a label per raw path
 * would make a new series for every node id (unbounded cardinality, and ids in the metrics).
 */
export function routeLabel(baseUrl: string, routePath: unknown): string {
  // A route registered for several paths (['/', '/status']) is one label: its patterns joined.
  if (Array.isArray(routePath) && routePath.every((p) => typeof p === 'string')) return routePath.map((p: string) => routeLabel(baseUrl, p)).join('|');
  if (typeof routePath !== 'string') return UNMATCHED_ROUTE;
  if (routePath === '/' && baseUrl !== '') return baseUrl;
  return `${baseUrl}${routePath}` || '/';
}

// Requests answered by a mounted handler with no routes of its own (express.static): its mount label.
const mountLabels = new WeakMap<Request, string>();

/**
 * Labels every request that reaches this middleware `<mount path>/*` unless a route matches later:
 * for static file mounts, whose files would otherwise all be counted as `unmatched`.
 */
export function labelMount(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    mountLabels.set(req, `${req.baseUrl}/*`);
    next();
  };
}

/**
 * Returns the pattern of the route this request matches, read when the response ends.
 *
 * Express sets `req.route` when a route matches, while `req.baseUrl` still holds the mount path
 * of the router the route lives in; by the time the response finishes, an error raised in the
 * handler has left the router and `baseUrl` has been reset. So the pattern is taken at the moment
 * `req.route` is assigned, by an accessor on this request.
 */
export function trackRoutePattern(req: Request): () => string {
  let route: unknown;
  let pattern: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: { path?: unknown } | undefined) => {
      route = value;
      pattern = value ? routeLabel(req.baseUrl ?? '', value.path) : undefined;
    },
  });
  return () => pattern ?? mountLabels.get(req) ?? UNMATCHED_ROUTE;
}

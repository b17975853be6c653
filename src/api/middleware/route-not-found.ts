import type { Express, NextFunction, Request, Response } from 'express';
import { NotFoundError } from '../../shared/errors';
import { closestRoutes } from '../introspection/route-similarity';
import { routeTableOf, type RouteTable } from '../introspection/route-table';

/** Where to look next, sent with every ROUTE_NOT_FOUND. */
export interface RouteHints {
  didYouMean: string[];
  docs: string;
  openapi: string;
  health: string;
  routes: string;
}

const MAX_HINTED_PATH = 256;

export class RouteNotFoundError extends NotFoundError {
  readonly hints: RouteHints;
  constructor(method: string, path: string, table: RouteTable) {
    super(`No route for ${method} ${path}`, 'ROUTE_NOT_FOUND');
    const known = [...table.routes, ...table.mounts.map((m) => ({ method: 'GET', path: m.path }))];
    this.hints = {
      // Edit distance costs length x length: a huge unauthenticated path gets no suggestions.
      didYouMean: path.length <= MAX_HINTED_PATH ? closestRoutes(method, path, known) : [],
      docs: '/docs',
      openapi: '/openapi.json',
      health: '/health',
      routes: '/api/v1/debug/routes',
    };
  }
}

const segmentsOf = (path: string) => path.split('/').filter(Boolean);

/**
 * Whether `path` has the shape of the route pattern: ":x" takes one segment, "*x" the rest.
 * A pattern this does not understand (optional parts, regexps) counts as a match, so a real route
 * is never refused here; Express still decides in the end.
 */
function pathMatches(pattern: string, path: string): boolean {
  if (/[{}()[\]?+]/.test(pattern)) return true;
  const expected = segmentsOf(pattern);
  const actual = segmentsOf(path);
  for (let i = 0; i < expected.length; i++) {
    const segment = expected[i]!;
    if (segment.startsWith('*')) return actual.length > i;
    const given = actual[i];
    if (given === undefined) return false;
    if (!segment.startsWith(':') && segment.toLowerCase() !== given.toLowerCase()) return false;
  }
  return actual.length === expected.length;
}

function isKnown(table: RouteTable, method: string, path: string): boolean {
  if (table.mounts.some((m) => path === m.path || path.startsWith(`${m.path}/`))) return true;
  const wanted = method === 'HEAD' ? 'GET' : method;
  // OPTIONS asks which methods a path has: any route on the path answers it.
  return table.routes.some((r) => (method === 'OPTIONS' || r.method === wanted || r.method === 'ALL') && pathMatches(r.path, path));
}

/**
 * Mounted before a router that authenticates: an unknown path there is a 404 with hints, even
 * without an API key, instead of a 401 that would send the caller looking for a key.
 */
export function rejectUnknownRoutes(app: Express) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const path = req.baseUrl + req.path;
    if (!isKnown(routeTableOf(app), req.method, path)) throw new RouteNotFoundError(req.method, path, routeTableOf(app));
    next();
  };
}

/** The last handler of the app: nothing answered, so suggest what might have been meant. */
export function routeNotFound(app: Express) {
  return (req: Request, _res: Response) => {
    throw new RouteNotFoundError(req.method, req.path, routeTableOf(app));
  };
}

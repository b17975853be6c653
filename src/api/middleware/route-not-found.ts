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

/** One route's pattern, split once: what a request path is compared with. */
interface CompiledRoute {
  method: string;
  /** Lower-cased literal segments; ':' for a parameter; '*' for the rest of the path. */
  segments: string[];
  /** A pattern this does not understand (optional parts, regexps) matches anything. */
  matchesAll: boolean;
}

interface CompiledTable {
  mounts: string[];
  routes: CompiledRoute[];
}

const compiledTables = new WeakMap<RouteTable, CompiledTable>();

// The table is fixed once the app is built, so its patterns are split once, not on every request.
function compiledOf(table: RouteTable): CompiledTable {
  let compiled = compiledTables.get(table);
  if (!compiled) {
    compiled = {
      mounts: table.mounts.map((m) => m.path),
      routes: table.routes.map((r) => ({
        method: r.method,
        matchesAll: /[{}()[\]?+]/.test(r.path),
        segments: segmentsOf(r.path).map((seg) => (seg.startsWith(':') ? ':' : seg.startsWith('*') ? '*' : seg.toLowerCase())),
      })),
    };
    compiledTables.set(table, compiled);
  }
  return compiled;
}

/** Whether the path's segments have the shape of the route pattern: ":" takes one segment, "*" the rest. */
function pathMatches(route: CompiledRoute, actual: readonly string[]): boolean {
  if (route.matchesAll) return true;
  const expected = route.segments;
  for (let i = 0; i < expected.length; i++) {
    const segment = expected[i]!;
    if (segment === '*') return actual.length > i;
    const given = actual[i];
    if (given === undefined) return false;
    if (segment !== ':' && segment !== given) return false;
  }
  return actual.length === expected.length;
}

function isKnown(table: RouteTable, method: string, path: string): boolean {
  const compiled = compiledOf(table);
  if (compiled.mounts.some((m) => path === m || path.startsWith(`${m}/`))) return true;
  const wanted = method === 'HEAD' ? 'GET' : method;
  const actual = segmentsOf(path.toLowerCase());
  // OPTIONS asks which methods a path has: any route on the path answers it.
  return compiled.routes.some((r) => (method === 'OPTIONS' || r.method === wanted || r.method === 'ALL') && pathMatches(r, actual));
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

import type { Express } from 'express';
import { docOf, type RouteDoc } from '../openapi/route-doc';

/** One method on one path, as Express will dispatch it (path in Express syntax: /nodes/:id). */
export interface MountedRoute {
  method: string;
  path: string;
  doc?: RouteDoc;
}

/** An app mounted under a path (Bull Board): it answers below `path` by its own rules. */
export interface MountedApp {
  path: string;
  doc?: RouteDoc;
}

export interface RouteTable {
  routes: MountedRoute[];
  mounts: MountedApp[];
}

/** The parts of Express 5's router layers read here (router@2: `rawPath`, `route`, `handle`). */
interface Layer {
  rawPath?: unknown;
  handle: unknown;
  route?: { path: unknown; methods: Record<string, boolean | undefined>; stack: Layer[] };
}

function pathsOf(raw: unknown): string[] {
  if (raw === undefined) return ['/'];
  if (Array.isArray(raw)) return raw.flatMap(pathsOf);
  return [String(raw)];
}

function join(prefix: string, path: string): string {
  if (path === '/' || path === '') return prefix || '/';
  const joined = `${prefix}/${path}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function routerStack(handle: unknown): Layer[] | undefined {
  const stack = (handle as { stack?: unknown } | null)?.stack;
  return typeof handle === 'function' && Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

/** An Express app used as middleware: its routes are its own business, so it is listed as a mount. */
function isSubApp(handle: unknown): boolean {
  if (typeof handle !== 'function') return false;
  const fn = handle as { name?: string; handle?: unknown; set?: unknown };
  return fn.name === 'mounted_app' || (typeof fn.handle === 'function' && typeof fn.set === 'function');
}

function walk(stack: Layer[], prefix: string, table: RouteTable): void {
  for (const layer of stack) {
    if (layer.route) {
      const doc = layer.route.stack.map((l) => docOf(l.handle)).find(Boolean);
      const methods = Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m]);
      for (const path of pathsOf(layer.route.path)) {
        for (const m of methods) table.routes.push({ method: m === '_all' ? 'ALL' : m.toUpperCase(), path: join(prefix, path), doc });
      }
      continue;
    }
    for (const path of pathsOf(layer.rawPath)) {
      const nested = routerStack(layer.handle);
      if (nested) {
        const before = table.routes.length + table.mounts.length;
        walk(nested, join(prefix, path), table);
        // A router under a path that shows no routes dispatches by itself (Bull Board behind its auth).
        if (path !== '/' && table.routes.length + table.mounts.length === before) table.mounts.push({ path: join(prefix, path) });
        continue;
      }
      const doc = docOf(layer.handle);
      // Plain middleware at "/" (auth, body parsing) is not a route; anything else mounted is.
      if (doc || isSubApp(layer.handle) || path !== '/') table.mounts.push({ path: join(prefix, path), doc });
    }
  }
}

function dedupe(table: RouteTable): RouteTable {
  const routes = new Map<string, MountedRoute>();
  for (const r of table.routes) {
    const key = `${r.method} ${r.path}`;
    routes.set(key, { ...r, doc: routes.get(key)?.doc ?? r.doc });
  }
  const mounts = new Map<string, MountedApp>();
  for (const m of table.mounts) mounts.set(m.path, { path: m.path, doc: mounts.get(m.path)?.doc ?? m.doc });
  return { routes: [...routes.values()], mounts: [...mounts.values()] };
}

/** Every route and mount of the app, read from its router stack so the list cannot drift from it. */
export function walkRoutes(app: Express): RouteTable {
  const table: RouteTable = { routes: [], mounts: [] };
  walk((app.router as unknown as { stack: Layer[] }).stack, '', table);
  return dedupe(table);
}

const tables = new WeakMap<Express, RouteTable>();

/** The app's route table, walked once on first use: by then createApp has mounted everything. */
export function routeTableOf(app: Express): RouteTable {
  let table = tables.get(app);
  if (!table) {
    table = walkRoutes(app);
    tables.set(app, table);
  }
  return table;
}

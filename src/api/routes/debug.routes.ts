import { Router, type Express } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { readDbStatus } from '../../shared/db/db-status';
import { routeTableOf } from '../introspection/route-table';
import { requireRole } from '../middleware/auth';
import { dataOf } from '../openapi/envelopes';
import { apiDoc } from '../openapi/route-doc';

const count = z.number().int().min(0);

const routeListSchema = z.object({
  routes: z.array(z.object({ path: z.string().meta({ description: 'Express syntax: /nodes/:id' }), methods: z.array(z.string()), documented: z.boolean() })),
  mounts: z.array(z.object({ path: z.string(), documented: z.boolean() })).meta({ description: 'Apps answering everything below a path (Bull Board)' }),
});

const dbStatusSchema = z.object({
  connected: z.literal(true),
  latencyMs: z.number(),
  database: z.string(),
  serverVersion: z.string(),
  migrations: z.object({ applied: z.array(z.string()), pending: z.array(z.string()), upToDate: z.boolean() }),
  tables: z.array(z.object({ table: z.string(), estimatedRows: count })).meta({ description: 'From pg statistics, not exact counts' }),
  pool: z.object({ inUse: count, idle: count, waiting: count, creating: count, min: count, max: count }),
});

/** Superadmin-only views of the running API: its route table and its database. */
export function debugRoutes(core: Core, app: Express): Router {
  const router = Router();

  router.get(
    '/debug/routes',
    apiDoc({
      summary: 'Every route and mount of this API process, with its methods',
      description: 'Read from the Express router stack itself, so it lists exactly what is served.',
      auth: ['superadmin'],
      responses: { 200: { description: 'The route table', schema: dataOf(routeListSchema) } },
    }),
    (req, res) => {
      requireRole(req, 'superadmin');
      const table = routeTableOf(app);
      const byPath = new Map<string, { methods: string[]; documented: boolean }>();
      for (const r of table.routes) {
        const entry = byPath.get(r.path) ?? { methods: [], documented: true };
        entry.methods.push(r.method);
        entry.documented &&= r.doc !== undefined;
        byPath.set(r.path, entry);
      }
      res.json({
        data: {
          routes: [...byPath].map(([path, e]) => ({ path, methods: e.methods, documented: e.documented })),
          mounts: table.mounts.map((m) => ({ path: m.path, documented: m.doc !== undefined })),
        },
      });
    },
  );

  router.get(
    '/debug/db-status',
    apiDoc({
      summary: 'Database connectivity, latency, migrations, row estimates and pool usage',
      auth: ['superadmin'],
      responses: { 200: { description: 'The database answered', schema: dataOf(dbStatusSchema) } },
      errors: { 503: 'The database is unavailable (nothing to report but that)' },
    }),
    async (req, res) => {
      requireRole(req, 'superadmin');
      res.json({ data: await readDbStatus(core.db) });
    },
  );

  return router;
}

import { z } from 'zod';

/** A JSON timestamp as the API writes it (Date#toISOString). */
export const timestamp = z.string().meta({ format: 'date-time' });
export const uuid = z.string().meta({ format: 'uuid' });

/** `{ data }`: every successful JSON answer of /api/v1. */
export const dataOf = <T extends z.ZodType>(data: T, extra: z.ZodRawShape = {}) => z.object({ data, ...extra });

/** A list paged by limit / offset, with the total that matched. */
export const offsetPageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), page: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }) });

/** A list paged by keyset: pass page.nextCursor as ?cursor= for the next page; null at the end. */
export const cursorPageOf = <T extends z.ZodType>(item: T, extra: z.ZodRawShape = {}) =>
  z.object({ data: z.array(item), page: z.object({ limit: z.number().int(), ...extra, nextCursor: z.string().nullable() }) });

export const routeHintsSchema = z
  .object({
    didYouMean: z.array(z.string()).meta({ description: 'The closest existing routes, as "METHOD /path"' }),
    docs: z.string(),
    openapi: z.string(),
    health: z.string(),
    routes: z.string(),
  })
  .meta({ description: 'Only with ROUTE_NOT_FOUND' });

/** The body of every error answer (see src/api/middleware/error-handler.ts). */
export const errorBodySchema = z.object({
  status: z.literal('error'),
  code: z.string().meta({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED, NODE_NOT_FOUND, DATABASE_UNAVAILABLE' }),
  message: z.string(),
  requestId: z.string().meta({ description: 'Echoes X-Request-Id; quote it when reporting a problem' }),
  details: z.array(z.object({ field: z.string(), message: z.string() })).optional().meta({ description: 'VALIDATION_FAILED: every bad field, e.g. body.label' }),
  errorId: z.string().optional().meta({ description: 'INTERNAL_ERROR only: the id of the logged error' }),
  hints: routeHintsSchema.optional(),
});

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Scope } from '../../shared/auth/scope';

export type Role = Scope['role'];
export const ALL_ROLES: readonly Role[] = ['superadmin', 'distributor', 'customer'];

/** Statuses answered with the JSON error body `{status: 'error', code, message, requestId}`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503;

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface DocumentedResponse {
  description: string;
  /** The JSON body; absent for an empty answer (204) or a non-JSON one (see contentType). */
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
  /** Other media types the same status can answer in, chosen by the request's Accept header. */
  alternatives?: ReadonlyArray<{ contentType: string; schema?: z.ZodType }>;
}

/**
 * What the OpenAPI document says about one route. The method and path are not repeated here:
 * they come from the router the doc is attached to, so the two cannot disagree.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** Defaults to the first path segment after /api/v1 (or "operations" outside it). */
  tag?: string;
  /** 'public', or the roles whose API key the route accepts (the others get 403). */
  auth: 'public' | readonly Role[];
  /** The very schemas the handler validates with (path params, query string, JSON body). */
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A body that may be left out entirely (the handler reads `req.body ?? {}`). */
  bodyOptional?: boolean;
  /** Answers that are not the error body, by status: at least the success. */
  responses: Partial<Record<number, DocumentedResponse>>;
  /**
   * Error-body answers by status, with when they happen. 400 (with input), 401 and 503 (with an
   * API key, which is looked up in the database), 403 (when some role is refused), 404 (with path
   * params) and 413 (with a body) are implied; list the others, or a better "when" for these.
   */
  errors?: Partial<Record<ErrorStatus, string>>;
  /** Only for a doc attached with router.use() to a mounted app: the methods it answers. */
  methods?: readonly HttpMethod[];
}

const ROUTE_DOC = Symbol('evara.routeDoc');
type Documented = RequestHandler & { [ROUTE_DOC]?: RouteDoc };

/**
 * A pass-through middleware that carries the route's documentation:
 * `router.get('/nodes/:id', apiDoc({...}), handler)`. The OpenAPI document, the debug route list
 * and the 404 hints all read it back from the mounted router stack.
 */
export function apiDoc(doc: RouteDoc): RequestHandler {
  const handler: Documented = (_req: Request, _res: Response, next: NextFunction) => next();
  handler[ROUTE_DOC] = doc;
  return handler;
}

export function docOf(handler: unknown): RouteDoc | undefined {
  return typeof handler === 'function' ? (handler as Documented)[ROUTE_DOC] : undefined;
}

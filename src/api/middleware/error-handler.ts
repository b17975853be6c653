import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError, DependencyUnavailableError, isAppError, ValidationError } from '../../shared/errors';
import { constraintViolation, isDatabaseUnavailable, isPoolWaitTimeout } from '../../shared/db/db-errors';
import { RouteNotFoundError, type RouteHints } from './route-not-found';

export interface ErrorBody {
  status: 'error';
  code: string;
  message: string;
  requestId: string;
  details?: unknown;
  errorId?: string;
  /** ROUTE_NOT_FOUND only: the closest routes and where the docs are. */
  hints?: RouteHints;
}

function isRedisUnavailable(err: unknown): boolean {
  const message = (err as { message?: unknown })?.message;
  return typeof message === 'string' && (message.includes("Stream isn't writeable") || message.includes('Connection is closed') || message.includes('MaxRetriesPerRequestError') || message.includes('Reached the max retries per request limit'));
}

/** express.json()'s errors, which carry `type` and `status`. */
function bodyParserError(err: unknown): AppError | undefined {
  const e = err as { type?: string; status?: number; limit?: number };
  if (e?.type === 'entity.parse.failed') return new ValidationError('Malformed JSON body: it could not be parsed');
  if (e?.type === 'entity.too.large') {
    return new AppError(`The request body is larger than the ${e.limit ?? 'allowed'} bytes accepted`, { code: 'PAYLOAD_TOO_LARGE', kind: 'user', httpStatus: 413 });
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new ValidationError('Unsupported body encoding: send UTF-8 JSON');
  return undefined;
}

/** Turns any error into the JSON error body; the only AppError -> HTTP mapping in the API. */
export function errorHandler() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = String(req.id ?? '');
    let appErr: AppError | undefined = isAppError(err) ? err : bodyParserError(err);
    if (!appErr && isDatabaseUnavailable(err)) {
      // A pool-wait timeout is usually load, not an outage; both are a 503 the caller retries.
      const text = isPoolWaitTimeout(err) ? 'The database is busy or unavailable right now (no connection came free in time); try again shortly' : 'The database is unavailable right now; try again shortly';
      appErr = new DependencyUnavailableError('database', text, err);
    } else if (!appErr && isRedisUnavailable(err)) {
      appErr = new DependencyUnavailableError('redis', 'The job queue (Redis) is unavailable right now; try again shortly', err);
    } else if (!appErr && constraintViolation(err)) {
      appErr = new AppError('The change conflicts with existing data', { code: 'CONFLICT', kind: 'user', httpStatus: 409 });
    }

    if (appErr) {
      const body: ErrorBody = { status: 'error', code: appErr.code, message: appErr.message, requestId };
      if (appErr.details !== undefined) body.details = appErr.details;
      if (appErr instanceof RouteNotFoundError) body.hints = appErr.hints;
      if (appErr instanceof DependencyUnavailableError) {
        res.setHeader('Retry-After', String(appErr.retryAfterSeconds));
        req.log.warn({ err: appErr.cause ?? appErr, code: appErr.code }, 'dependency unavailable');
      } else if (appErr.httpStatus >= 500) {
        const retryAfter = (appErr as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
        req.log.warn({ err: appErr, code: appErr.code }, 'request failed');
      }
      res.status(appErr.httpStatus).json(body);
      return;
    }

    const errorId = randomUUID();
    req.log.error({ err, errorId }, 'unexpected error');
    const body: ErrorBody = { status: 'error', code: 'INTERNAL_ERROR', message: `Something went wrong on our side (error id ${errorId})`, requestId, errorId };
    res.status(500).json(body);
  };
}

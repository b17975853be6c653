/**
 * The only error types the application throws on purpose. Each has a stable `code`
 * (part of the API contract) and a kind that decides how it is reported:
 * - user: the caller's input is wrong -> 4xx, or a job that must not be retried;
 * - operational: a dependency is unavailable -> 503 with Retry-After, or a job retry with backoff;
 * anything that is not an AppError is unexpected -> 500 with an errorId, or a counted job failure.
 */
export type ErrorKind = 'user' | 'operational';

export class AppError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly httpStatus: number;
  readonly details?: unknown;

  constructor(
    message: string,
    opts: { code: string; kind: ErrorKind; httpStatus: number; details?: unknown; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.kind = opts.kind;
    this.httpStatus = opts.httpStatus;
    this.details = opts.details;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(message, { code: 'VALIDATION_FAILED', kind: 'user', httpStatus: 400, details });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, code = 'NOT_FOUND') {
    super(message, { code, kind: 'user', httpStatus: 404 });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT') {
    super(message, { code, kind: 'user', httpStatus: 409 });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid API key is required: send "Authorization: Bearer <key>"') {
    super(message, { code: 'UNAUTHORIZED', kind: 'user', httpStatus: 401 });
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, { code: 'FORBIDDEN', kind: 'user', httpStatus: 403 });
  }
}

/** Postgres or Redis cannot be reached: the request or job may succeed later. */
export class DependencyUnavailableError extends AppError {
  readonly dependency: 'database' | 'redis';
  readonly retryAfterSeconds: number;
  constructor(dependency: 'database' | 'redis', message: string, cause?: unknown, retryAfterSeconds = 5) {
    super(message, {
      code: dependency === 'database' ? 'DATABASE_UNAVAILABLE' : 'REDIS_UNAVAILABLE',
      kind: 'operational',
      httpStatus: 503,
      cause,
    });
    this.dependency = dependency;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** ThingSpeak (or another upstream HTTP service) failed; retried with backoff. */
export class UpstreamError extends AppError {
  readonly upstreamKind: string;
  readonly retryAfterMs?: number;
  constructor(message: string, opts: { code: string; upstreamKind: string; retryAfterMs?: number; cause?: unknown }) {
    super(message, { code: opts.code, kind: 'operational', httpStatus: 502, cause: opts.cause });
    this.upstreamKind = opts.upstreamKind;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/**
 * The work cannot run right now but will later (another job holds the same channel): a job is put
 * back to wait `retryAfterMs` without using up an attempt.
 */
export class RetryLaterError extends AppError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super(message, { code: 'RETRY_LATER', kind: 'operational', httpStatus: 503 });
    this.retryAfterMs = retryAfterMs;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

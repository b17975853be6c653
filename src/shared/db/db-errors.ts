/**
 * Errors that mean "the database cannot be reached right now", as opposed to a bug or bad data.
 * Only these may turn into a 503 or, later, count towards opening the circuit breaker.
 */
const POOL_WAIT_TIMEOUT = 'Timeout acquiring a connection';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const UNAVAILABLE_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout expired', // pg's connectionTimeoutMillis against a host that accepts and never answers
  'timeout exceeded when trying to connect',
  POOL_WAIT_TIMEOUT, // until shown to be a busy pool (isPoolWaitTimeout)
  'Client has encountered a connection error',
  'the database system is starting up',
  'the database system is shutting down',
  'Query read timeout',
];

/**
 * knex's KnexTimeoutError "Timeout acquiring a connection": no pooled connection came free in time.
 * Also what a dead server looks like (creating connections keeps failing until the deadline), so
 * it is unavailable until pool-pressure.ts finds the server answering: then the pool is only busy.
 */
export function isPoolWaitTimeout(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.includes(POOL_WAIT_TIMEOUT);
}

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}

/** Postgres SQLSTATE of a constraint violation, if the error is one. */
export function constraintViolation(err: unknown): { code: string; constraint?: string } | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('23')) return { code, constraint: (err as { constraint?: string }).constraint };
  return undefined;
}

/** A unique or primary key was violated (SQLSTATE 23505): the row is already stored. */
export function isUniqueViolation(err: unknown): boolean {
  return constraintViolation(err)?.code === '23505';
}

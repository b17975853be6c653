import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../shared/logger';
import { DependencyUnavailableError, isAppError } from '../../shared/errors';
import { TooManyRequestsError } from '../rate-limit/rate-limit-headers';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Answers an upgrade request with a plain HTTP error and closes the socket: no WebSocket is opened.
 * The body has the shape of the REST error bodies (see error-handler.ts).
 */
export function rejectUpgrade(req: IncomingMessage, socket: Duplex, err: unknown, log: Logger): void {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  let status = 500;
  let code = 'INTERNAL_ERROR';
  let message: string;
  const headers: string[] = [];
  if (isAppError(err)) {
    status = err.httpStatus;
    code = err.code;
    message = err.message;
    if (err instanceof DependencyUnavailableError) {
      headers.push(`Retry-After: ${err.retryAfterSeconds}`);
      log.warn({ err: err.cause ?? err, code, requestId }, 'live socket refused: dependency unavailable');
    }
    if (err instanceof TooManyRequestsError && err.retryAfterSeconds !== undefined) headers.push(`Retry-After: ${err.retryAfterSeconds}`);
    // Other 503s that know when to come back (AUTH_KEYS_UNAVAILABLE: Supabase's JWKS cannot be fetched).
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (!(err instanceof DependencyUnavailableError) && !(err instanceof TooManyRequestsError) && err.httpStatus === 503 && typeof retryAfter === 'number') headers.push(`Retry-After: ${retryAfter}`);
  } else {
    const errorId = randomUUID();
    message = `Something went wrong on our side (error id ${errorId})`;
    log.error({ err, errorId, requestId }, 'live socket upgrade failed');
  }
  const body = JSON.stringify({ status: 'error', code, message, requestId });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    ...headers,
  ];
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

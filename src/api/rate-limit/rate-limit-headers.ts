import type { Response } from 'express';
import { AppError } from '../../shared/errors';
import type { Policy, Verdict } from './limiter';

/** 429: the caller went past a quota; the error handler sends the usual body, these headers stay. */
export class TooManyRequestsError extends AppError {
  /** For answers written without Express (a refused WebSocket upgrade): the Retry-After to send. */
  readonly retryAfterSeconds?: number;
  constructor(message: string, retryAfterSeconds?: number) {
    super(message, { code: 'RATE_LIMITED', kind: 'user', httpStatus: 429 });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

type Counted = Extract<Verdict, { kind: 'counted' }>;

const secondsUntil = (resetMs: number) => Math.max(1, Math.ceil(resetMs / 1000));

/**
 * Adds one policy to the RateLimit-Policy and RateLimit fields, in the syntax of
 * draft-ietf-httpapi-ratelimit-headers-11 (structured-field lists: `"per-key";q=1200;w=60` and
 * `"per-key";r=17;t=42`). Each limit a request passed through appends its own item.
 */
export function advertise(res: Response, policy: Policy, verdict: Counted): void {
  res.append('RateLimit-Policy', `"${policy.name}";q=${policy.quota};w=${policy.windowS}`);
  res.append('RateLimit', `"${policy.name}";r=${verdict.remaining};t=${secondsUntil(verdict.resetMs)}`);
}

/** Sets Retry-After (the end of the window, as the draft asks) and returns the error to throw. */
export function refusal(res: Response, verdict: Counted, why: string): TooManyRequestsError {
  const err = tooManyRequests(verdict, why);
  res.setHeader('Retry-After', String(err.retryAfterSeconds));
  return err;
}

/** The refusal as an error that carries its Retry-After, for answers written without Express (a WebSocket upgrade). */
export function tooManyRequests(verdict: Counted, why: string): TooManyRequestsError {
  const seconds = secondsUntil(verdict.resetMs);
  return new TooManyRequestsError(`Too many requests: ${why}; retry in ${seconds} s`, seconds);
}

import { sameSecret } from '../crypto/same-secret';

const BEARER = /^Bearer\s+(\S{1,512})$/i;

/** The credential of an `Authorization: Bearer <token>` header, if the header has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

/** Whether `given` is METRICS_TOKEN, compared in constant time (hashes make the lengths equal). */
export function isMetricsToken(given: string, expected: string | undefined): boolean {
  return sameSecret(given, expected);
}

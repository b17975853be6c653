import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether `given` equals the configured secret, compared in constant time (hashes make lengths equal). */
export function sameSecret(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

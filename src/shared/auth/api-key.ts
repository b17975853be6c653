import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Keys look like "evk_<12-char prefix>_<43-char secret>"; the prefix finds the row, the hash proves it. */
export function generateApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { key: `evk_${prefix}_${secret}`, prefix };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** A stable prefix for keys that do not follow our format (the bootstrap ADMIN_API_KEY). */
export function prefixOf(key: string): string {
  const m = /^evk_([A-Za-z0-9_-]{12})_/.exec(key);
  return m?.[1] ?? `h-${hashApiKey(key).slice(0, 12)}`;
}

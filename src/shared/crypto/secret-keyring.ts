import { createHash } from 'node:crypto';

/** One AES-256 key and the id stored beside what it sealed. */
export interface SecretKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * ENCRYPTION_KEY (`current`: seals and opens) and ENCRYPTION_KEYS_PREVIOUS (`previous`: open only),
 * so a key can be rotated while processes run: rows sealed under an old key keep opening until
 * `npm run rotate-encryption-key` has re-sealed them.
 */
export interface SecretKeyring {
  readonly current: SecretKey;
  readonly previous: readonly SecretKey[];
}

/** A keyring, or a bare key (a keyring of one: tests and benchmarks). */
export type SecretKeys = SecretKeyring | Buffer;

const KEY_BYTES = 32;

/**
 * The key's id: 8 base64url characters (48 bits) of a SHA-256 of it. Derived rather than configured
 * so an id can never be attached to the wrong key; a truncated hash of 32 random bytes reveals
 * nothing useful about them, so ids may be logged and printed.
 */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('evara-secret-key-id:').update(key).digest('base64url').slice(0, 8);
}

function secretKey(key: Buffer): SecretKey {
  if (key.length !== KEY_BYTES) throw new Error(`an encryption key must be ${KEY_BYTES} bytes (got ${key.length})`);
  return Object.freeze({ id: keyIdOf(key), key });
}

export function createKeyring(current: Buffer, previous: readonly Buffer[] = []): SecretKeyring {
  const cur = secretKey(current);
  const seen = new Set([cur.id]);
  const prev: SecretKey[] = [];
  for (const key of previous.map(secretKey)) {
    if (seen.has(key.id)) continue; // the current key listed again, or a duplicate: harmless
    seen.add(key.id);
    prev.push(key);
  }
  return Object.freeze({ current: cur, previous: Object.freeze(prev) });
}

export function asKeyring(keys: SecretKeys): SecretKeyring {
  return Buffer.isBuffer(keys) ? createKeyring(keys) : keys;
}

/** Every key that may open a secret, current first. */
export function openingKeys(ring: SecretKeyring): readonly SecretKey[] {
  return [ring.current, ...ring.previous];
}

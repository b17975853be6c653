import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { asKeyring, openingKeys, type SecretKey, type SecretKeys } from './secret-keyring';

// v2 "v2:<keyId>:<iv>:<tag>:<ciphertext>" (base64url parts), bound to its row (AAD, see secret-contexts.ts).
// v1 "v1:<iv>:<tag>:<ciphertext>" (no key id, no binding) is still read, and re-sealed by the rotate script.
const V1 = 'v1';
const V2 = 'v2';
const IV_BYTES = 12;
// GCM accepts tags down to 4 bytes unless told otherwise, and a short tag is forgeable by trial.
const TAG_BYTES = 16;

/** Why a stored secret does not open; the message never contains the secret or a key. */
export class SecretUnreadableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnreadableError';
  }
}

// The header is authenticated along with the row: editing the key id or moving the value elsewhere fails.
const aadOf = (keyId: string, context: string) => Buffer.from(`${V2}:${keyId}:${context}`, 'utf8');

/**
 * Seals a short secret (a ThingSpeak read key, a webhook signing secret) with AES-256-GCM under the
 * current key, bound to `context` (the row it is stored in: see secret-contexts.ts), so it opens
 * only there.
 */
export function encryptSecret(plaintext: string, keys: SecretKeys, context: string): string {
  const { current } = asKeyring(keys);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadOf(current.id, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [V2, current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
}

function open(key: SecretKey, iv: Buffer, tag: Buffer, ciphertext: Buffer, aad: Buffer | undefined): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function parts(iv: string | undefined, tag: string | undefined, ciphertext: string | undefined) {
  if (iv === undefined || tag === undefined || ciphertext === undefined) return undefined;
  const p = { iv: Buffer.from(iv, 'base64url'), tag: Buffer.from(tag, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url') };
  if (p.iv.length !== IV_BYTES) throw new SecretUnreadableError(`the IV is ${p.iv.length} bytes, not ${IV_BYTES}`);
  if (p.tag.length !== TAG_BYTES) throw new SecretUnreadableError(`the authentication tag is ${p.tag.length} bytes, not ${TAG_BYTES}`);
  return p;
}

/**
 * Opens what encryptSecret sealed for the same `context`, with whichever configured key its id
 * names; a v1 value (unbound, from before key ids) is tried with every configured key.
 * Throws SecretUnreadableError.
 */
export function decryptSecret(sealed: string, keys: SecretKeys, context: string): string {
  const ring = asKeyring(keys);
  const fields = sealed.split(':');
  if (fields[0] === V2 && fields.length === 5) {
    const [, keyId, iv, tag, ciphertext] = fields;
    const p = parts(iv, tag, ciphertext)!;
    const key = openingKeys(ring).find((k) => k.id === keyId);
    if (!key) throw new SecretUnreadableError(`sealed under key ${keyId}, which is neither ENCRYPTION_KEY nor one of ENCRYPTION_KEYS_PREVIOUS`);
    const plaintext = open(key, p.iv, p.tag, p.ciphertext, aadOf(key.id, context));
    if (plaintext === undefined) throw new SecretUnreadableError('the encrypted secret does not open: altered, or stored for another row');
    return plaintext;
  }
  if (fields[0] === V1 && fields.length === 4) {
    const [, iv, tag, ciphertext] = fields;
    const p = parts(iv, tag, ciphertext)!;
    for (const key of openingKeys(ring)) {
      const plaintext = open(key, p.iv, p.tag, p.ciphertext, undefined);
      if (plaintext !== undefined) return plaintext;
    }
    throw new SecretUnreadableError('the encrypted secret (v1) does not open with ENCRYPTION_KEY or any of ENCRYPTION_KEYS_PREVIOUS');
  }
  throw new SecretUnreadableError('unrecognised encrypted secret format');
}

/** Whether a stored value is not yet in the current format under the current key (what rotation re-seals). */
export function needsResealing(sealed: string, keys: SecretKeys): boolean {
  const [version, keyId] = sealed.split(':');
  return version !== V2 || keyId !== asKeyring(keys).current.id;
}

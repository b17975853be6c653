import { createCipheriv, randomBytes } from 'node:crypto';

/** A value as the first secret-box wrote it ("v1:<iv>:<tag>:<ciphertext>": no key id, bound to nothing). */
export function sealLegacyV1(plaintext: string, key: Buffer, tagBytes = 16): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
}

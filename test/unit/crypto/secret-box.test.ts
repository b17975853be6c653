import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, needsResealing, SecretUnreadableError } from '../../../src/shared/crypto/secret-box';
import { createKeyring, keyIdOf } from '../../../src/shared/crypto/secret-keyring';
import { readKeyContext, webhookSecretContext } from '../../../src/shared/crypto/secret-contexts';
import { sealLegacyV1 as sealV1 } from '../../helpers/legacy-secret';

const ROW = readKeyContext('7f1c2a60-0000-4000-8000-000000000001');
const OTHER_ROW = readKeyContext('7f1c2a60-0000-4000-8000-000000000002');

/** Replaces the tag field (index) of a sealed value. */
const withTag = (sealed: string, index: number, tag: Buffer) => sealed.split(':').map((p, i) => (i === index ? tag.toString('base64url') : p)).join(':');

describe('secret box', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  test('when a read key is sealed, then the ciphertext hides it, names the key and opens for its row only', () => {
    const sealed = encryptSecret('ABCDEF123456', newKey, ROW);
    expect(sealed).not.toContain('ABCDEF123456');
    expect(sealed.split(':').slice(0, 2)).toEqual(['v2', keyIdOf(newKey)]);
    expect(decryptSecret(sealed, newKey, ROW)).toBe('ABCDEF123456');
    expect(() => decryptSecret(sealed, randomBytes(32), ROW)).toThrow(SecretUnreadableError);
  });

  test('when the same key is sealed twice, then the ciphertexts differ (random IV)', () => {
    expect(encryptSecret('k', newKey, ROW)).not.toBe(encryptSecret('k', newKey, ROW));
  });

  test('when a ciphertext is copied to another row or another column, then it does not open (AAD mismatch)', () => {
    const sealed = encryptSecret('ABCDEF123456', newKey, ROW);
    expect(() => decryptSecret(sealed, newKey, OTHER_ROW)).toThrow(/stored for another row/);
    expect(() => decryptSecret(sealed, newKey, webhookSecretContext('7f1c2a60-0000-4000-8000-000000000001'))).toThrow(SecretUnreadableError);
  });

  test('when the tag is cut short (v2 or v1), then it is refused before any decryption is tried', () => {
    const sealed = encryptSecret('ABCDEF123456', newKey, ROW);
    const tag = Buffer.from(sealed.split(':')[3]!, 'base64url');
    expect(() => decryptSecret(withTag(sealed, 3, tag.subarray(0, 4)), newKey, ROW)).toThrow(/authentication tag is 4 bytes, not 16/);
    // A v1 value with a 4-byte tag is what a forger would try (2^32 guesses): GCM alone would accept the length.
    expect(() => decryptSecret(sealV1('ABCDEF123456', newKey, 4), newKey, ROW)).toThrow(/authentication tag is 4 bytes/);
  });

  test('when the key id in the header is edited, then the value does not open (the header is authenticated)', () => {
    const ring = createKeyring(newKey, [oldKey]);
    const sealed = encryptSecret('ABCDEF123456', ring, ROW);
    const forged = sealed.replace(`:${keyIdOf(newKey)}:`, `:${keyIdOf(oldKey)}:`);
    expect(() => decryptSecret(forged, ring, ROW)).toThrow(SecretUnreadableError);
  });

  test('when a value was written in the old v1 format, then it still opens, with the current or a previous key, whatever the row', () => {
    expect(decryptSecret(sealV1('legacy-key', newKey), newKey, ROW)).toBe('legacy-key');
    expect(decryptSecret(sealV1('legacy-key', oldKey), createKeyring(newKey, [oldKey]), ROW)).toBe('legacy-key');
    expect(() => decryptSecret(sealV1('legacy-key', oldKey), newKey, ROW)).toThrow(/v1.*does not open/);
  });

  test('when a keyring holds a current and a previous key, then the key id selects the key that opens', () => {
    const sealedOld = encryptSecret('sealed-under-old', oldKey, ROW);
    const sealedNew = encryptSecret('sealed-under-new', newKey, ROW);
    const rotating = createKeyring(newKey, [oldKey]);
    expect(decryptSecret(sealedOld, rotating, ROW)).toBe('sealed-under-old');
    expect(decryptSecret(sealedNew, rotating, ROW)).toBe('sealed-under-new');
    // New values are sealed under the current key only.
    expect(encryptSecret('x', rotating, ROW).split(':')[1]).toBe(keyIdOf(newKey));
    // Once the old key is dropped, its values name a key nobody holds: said plainly, without any key material.
    const err = (() => {
      try {
        decryptSecret(sealedOld, newKey, ROW);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(err.message).toBe(`sealed under key ${keyIdOf(oldKey)}, which is neither ENCRYPTION_KEY nor one of ENCRYPTION_KEYS_PREVIOUS`);
    expect(err.message).not.toContain(oldKey.toString('base64'));
  });

  test('when a value is checked for rotation, then v1 values and values under a previous key need resealing, current ones do not', () => {
    const ring = createKeyring(newKey, [oldKey]);
    expect(needsResealing(sealV1('a', oldKey), ring)).toBe(true);
    expect(needsResealing(encryptSecret('a', oldKey, ROW), ring)).toBe(true);
    expect(needsResealing(encryptSecret('a', ring, ROW), ring)).toBe(false);
  });

  test('when a value is not in a known format, then it is refused', () => {
    expect(() => decryptSecret('plaintext-read-key', newKey, ROW)).toThrow(/unrecognised/);
    expect(() => decryptSecret('v2:abc:def', newKey, ROW)).toThrow(/unrecognised/);
  });
});

describe('secret keyring', () => {
  test('when built, then ids are stable, short and distinct, and the current key is not repeated among the previous ones', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const ring = createKeyring(a, [b, a, b]);
    expect(ring.current.id).toBe(keyIdOf(a));
    expect(ring.current.id).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(ring.previous.map((k) => k.id)).toEqual([keyIdOf(b)]);
    expect(keyIdOf(Buffer.from(a))).toBe(keyIdOf(a));
  });

  test('when a key is not 32 bytes, then it is refused', () => {
    expect(() => createKeyring(randomBytes(16))).toThrow(/32 bytes/);
  });
});

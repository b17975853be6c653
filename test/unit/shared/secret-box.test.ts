import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret } from '../../../src/shared/crypto/secret-box';

describe('secret box', () => {
  const key = randomBytes(32);
  test('when a read key is sealed, then the ciphertext hides it and opens with the same key only', () => {
    const sealed = encryptSecret('ABCDEF123456', key);
    expect(sealed).not.toContain('ABCDEF123456');
    expect(decryptSecret(sealed, key)).toBe('ABCDEF123456');
    expect(() => decryptSecret(sealed, randomBytes(32))).toThrow();
  });

  test('when the same key is sealed twice, then the ciphertexts differ (random IV)', () => {
    expect(encryptSecret('k', key)).not.toBe(encryptSecret('k', key));
  });
});

/**
 * A cheap guess at whether a secret was made by a human rather than a random generator. It is a
 * lint, not a proof: a long random value passes, "changeme-changeme-changeme-12345" does not.
 */
const WELL_KNOWN_WORDS = ['password', 'passw0rd', 'changeme', 'secret', 'admin', 'evara', 'example', 'default', 'qwerty', 'letmein', '123456', 'test'];

/** Below this many bits by the per-character (Shannon) estimate a value is treated as guessable. */
const MIN_ESTIMATED_BITS = 96;
const MIN_DISTINCT_CHARACTERS = 10;

function estimatedBits(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * value.length;
}

/** "abcdefghijkabcdefghijk...": a short block typed again and again. */
function isRepeatedBlock(value: string): boolean {
  for (let size = 1; size <= value.length / 2; size++) {
    if (value.length % size === 0 && value.slice(0, size).repeat(value.length / size) === value) return true;
  }
  return false;
}

/** Why `value` is a weak secret, or undefined when it looks random enough. Never quotes the value. */
export function weaknessOf(value: string, minLength: number): string | undefined {
  if (value.length < minLength) return `is shorter than ${minLength} characters (${value.length})`;
  const lower = value.toLowerCase();
  const word = WELL_KNOWN_WORDS.find((w) => lower.includes(w));
  if (word) return `contains the well-known word "${word}"`;
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) return `uses only ${new Set(value).size} distinct characters`;
  if (isRepeatedBlock(value)) return 'is one short block repeated';
  if (estimatedBits(value) < MIN_ESTIMATED_BITS) return 'has too little randomness (repeated characters or a pattern)';
  return undefined;
}

/** Same question for key bytes (ENCRYPTION_KEY after decoding): random 32 bytes have ~30 distinct values. */
export function weakKeyBytes(key: Buffer): string | undefined {
  const distinct = new Set(key).size;
  return distinct < key.length / 2 ? `decodes to ${key.length} bytes with only ${distinct} distinct values (not random)` : undefined;
}

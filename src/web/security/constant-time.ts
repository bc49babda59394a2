import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in time that depends on neither their contents nor where they differ.
 * Both sides are hashed first, so unequal lengths take the same path as equal ones (and the
 * length of the expected secret does not leak either).
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

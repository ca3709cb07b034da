/** Bearer-token checks for the internal (worker) endpoints. */
import { createHash, timingSafeEqual } from 'node:crypto';

export const MIN_TOKEN_LENGTH = 32;

/**
 * Compares in constant time. Both sides are hashed first, so the comparison runs on equal-length
 * digests and its duration reveals neither the token nor its length.
 */
export function tokensEqual(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '');
  return m?.[1];
}

export function isAuthorized(expected: string, header: string | undefined): boolean {
  const token = bearerToken(header);
  // Still hash and compare on a missing token, so both paths cost the same.
  return tokensEqual(expected, token ?? '') && token !== undefined;
}

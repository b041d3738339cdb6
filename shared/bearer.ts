// Bearer-token checks in constant time, for the order API and the feed endpoints.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Compares SHA-256 digests with
 * `timingSafeEqual`, so neither the token's content nor its length leaks through timing.
 * An unset or empty expected token never matches.
 */
export function bearerMatches(header: string | undefined | null, token: string | undefined): boolean {
  if (!token) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  const given = m?.[1]?.trim() ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * What isAuthorized() compares against. Comparing fixed-length digests keeps the check
 * constant-time whatever the key lengths.
 */
export const apiKeyDigests = (keys: string[]): Buffer[] => keys.map(digest);

/** `Authorization: Bearer KEY` against API_KEYS' digests. */
export function isAuthorized(header: string | undefined, keyDigests: Buffer[]): boolean {
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return false;
  const presented = digest(match[1]);
  return keyDigests.reduce((found, key) => timingSafeEqual(key, presented) || found, false);
}

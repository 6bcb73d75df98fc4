import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * HTTP Basic with the webhook secret as password and any user name: SendGrid Inbound Parse can
 * only carry credentials in its URL (`https://user:secret@host/…`).
 */
export function isValidBasicAuth(header: string | undefined, secret: string): boolean {
  const match = header && /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Fixed-length digests keep the comparison constant-time whatever the password's length.
  return timingSafeEqual(digest(decoded.slice(colon + 1)), digest(secret));
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. Only the exact bytes
 * received verify: Meta escapes non-ASCII, so a parsed and re-serialized body does not.
 */
export function isValidWhatsappSignature(
  appSecret: string,
  rawBody: Buffer,
  header: string | undefined,
): boolean {
  const match = header && /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

import { createHmac, timingSafeEqual } from 'node:crypto';

const TOLERANCE_SECONDS = 5 * 60;

/**
 * Standard Webhooks: `v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>` over the raw
 * body, any of several signatures may match (secret rotation), and timestamps more than five
 * minutes away are refused so that a captured request cannot be replayed later. The HMAC is
 * Node's own: the `standardwebhooks` package hashes in JavaScript, tens of milliseconds of
 * blocked event loop for a body of a megabyte. Returns null when valid, else why not.
 */
export function webSignatureProblem(
  secret: string,
  rawBody: string | Buffer,
  headers: Record<string, string | undefined>,
): string | null {
  const required = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
  const missing = required.filter((name) => !headers[name]);
  if (missing.length > 0) return `${missing.join(', ')} missing`;
  const timestamp = Number.parseInt(headers['webhook-timestamp']!, 10);
  if (Number.isNaN(timestamp)) return 'Invalid Signature Headers';
  const now = Math.floor(Date.now() / 1000);
  if (now - timestamp > TOLERANCE_SECONDS) return 'Message timestamp too old';
  if (timestamp > now + TOLERANCE_SECONDS) return 'Message timestamp too new';
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = Buffer.from(
    createHmac('sha256', key)
      .update(`${headers['webhook-id']}.${timestamp}.`)
      .update(rawBody)
      .digest('base64'),
  );
  for (const versioned of headers['webhook-signature']!.split(' ')) {
    const [version, signature = ''] = versioned.split(',');
    const given = Buffer.from(signature);
    if (version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)) {
      return null;
    }
  }
  return 'No matching signature found';
}

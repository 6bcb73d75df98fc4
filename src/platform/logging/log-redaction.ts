/**
 * Query parameters whose values may be logged: ids, enums and paging. Anything else (phone, email,
 * external_id, hub.verify_token, hub.challenge...) may identify a person or authenticate, so only
 * its name is kept.
 */
const LOGGABLE_QUERY_PARAMS = new Set([
  'limit',
  'cursor',
  'status',
  'channel',
  'direction',
  'provider',
  'conversation_id',
  'customer_id',
  'after',
  'hub.mode',
]);

export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const question = url.indexOf('?');
  if (question < 0) return url;
  const params = new URLSearchParams(url.slice(question + 1));
  const kept = [...params.entries()].map(([name, value]) =>
    LOGGABLE_QUERY_PARAMS.has(name) ? `${name}=${encodeURIComponent(value)}` : `${name}=[redacted]`,
  );
  return `${url.slice(0, question)}?${kept.join('&')}`;
}

/**
 * Defence in depth for anything that still reaches a log object: credentials in headers, and
 * the parts of a database error that repeat the row's values (bodies, phone numbers).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-twilio-signature"]',
  'req.headers["webhook-signature"]',
  'res.headers["set-cookie"]',
  'err.parameters',
  'err.detail',
  'err.driverError.parameters',
  'err.driverError.detail',
];

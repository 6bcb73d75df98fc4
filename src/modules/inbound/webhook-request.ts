import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { DomainError } from '../../platform/errors/domain-error';
import type { InboundProvider } from './inbound-provider';
import type { Route } from './inbound-router';

/**
 * A webhook request as the Fastify adapter hands it over, with the bytes behind the body, and the
 * route its guard found (the guard needs the sender to know which secret signs it).
 */
export type WebhookRequest = FastifyRequest & { rawBody?: Buffer; route?: Route };

/** A verified webhook reduced to what is kept in inbound_events. */
export interface RawWebhook {
  contentType: string;
  payload: string;
  headers: Record<string, string>;
}

/** Kept for debugging; anything that could authenticate (signatures, Authorization) is not. */
const KEPT_HEADERS = [
  'content-type',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'i-twilio-idempotency-token',
  'x-forwarded-for',
];

export function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export function assertContentType(request: FastifyRequest, allowed: string[]): void {
  if (!allowed.includes(mediaType(request))) {
    throw new DomainError(
      'unsupported_media_type',
      `unsupported content type "${mediaType(request) || 'none'}"; send ${allowed.join(' or ')}`,
    );
  }
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The payload exactly as received. A multipart form is the exception: it is kept as the JSON of
 * its text fields, sorted so that a redelivery with another boundary is still the same event.
 */
export function toRawWebhook(request: WebhookRequest): RawWebhook {
  const contentType = mediaType(request);
  let payload: string;
  if (contentType === 'multipart/form-data') {
    const fields = Object.entries((request.body ?? {}) as Record<string, unknown>).sort(
      ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
    );
    payload = JSON.stringify(Object.fromEntries(fields));
  } else {
    payload = request.rawBody?.toString('utf8') ?? '';
    // Postgres text holds no NUL. In a form a raw NUL byte and "%00" decode alike; JSON refuses
    // a raw one before this, and a JSON "\u0000" is six storable characters.
    if (contentType === 'application/x-www-form-urlencoded' && payload.includes('\0')) {
      payload = payload.replaceAll('\0', '%00');
    }
  }
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = header(request, name);
    if (value !== undefined) headers[name] = value;
  }
  return { contentType, payload, headers };
}

/**
 * What makes two deliveries the same event: the same bytes, and for the web channel also the same
 * `webhook-id`, which Standard Webhooks keeps across a sender's retries. Two identical texts from
 * one visitor are two webhooks with two ids, so two messages.
 */
export function eventKeyOf(provider: InboundProvider, webhook: RawWebhook): string {
  const hash = createHash('sha256');
  if (provider === 'web') hash.update(`${webhook.headers['webhook-id'] ?? ''}\n`);
  return hash.update(webhook.payload).digest('hex');
}

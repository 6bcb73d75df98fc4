import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppMetrics } from '../../platform/metrics/app-metrics';

const PROVIDER = /^\/api\/webhooks\/(whatsapp|sms|email|web)(?:[/?]|$)/;

/**
 * The webhook guards answer 401/403/415 and Fastify 400/413 before any handler runs, so the
 * rejection is counted from the response status. Which check failed is in the answer's message
 * and the request log line.
 */
const REASON_BY_STATUS: Record<number, string> = {
  400: 'malformed',
  401: 'unauthenticated',
  403: 'forbidden',
  413: 'too_large',
  415: 'unsupported_media_type',
};

@Injectable()
export class WebhookRejectionsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: AppMetrics) {}

  use(
    request: IncomingMessage & { originalUrl?: string },
    response: ServerResponse,
    next: () => void,
  ): void {
    // Middie strips the mount path from `url`; the full path stays in `originalUrl`.
    const provider = PROVIDER.exec(request.originalUrl ?? request.url ?? '')?.[1];
    if (provider) {
      response.once('finish', () => {
        const status = response.statusCode;
        if (status < 400 || status >= 500 || status === 404) return;
        const reason = REASON_BY_STATUS[status] ?? 'rejected';
        this.metrics.webhookRejections.inc({ provider, reason });
      });
    }
    next();
  }
}

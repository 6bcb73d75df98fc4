import type { AxiosInstance } from 'axios';
import { Webhook } from 'standardwebhooks';
import type { WebConfig } from '../../platform/config/app-config';
import type { Channel } from '../../shared/channel';
import type { OutboundClient, OutboundMessage, SendResult } from '../outbound-client';
import {
  httpStatusError,
  isSuccessStatus,
  parseRetryAfter,
  requestFailure,
} from '../provider-http';
import { SendError } from '../../shared/send-error';

/**
 * The three Standard Webhooks headers for `body`, exactly as it will be sent. The id is the
 * message id, the same on every retry so receivers can drop duplicates; the timestamp is this try's.
 */
export function standardWebhookHeaders(
  signer: Webhook,
  id: string,
  at: Date,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signer.sign(id, at, body),
  };
}

/** The web channel: a signed `message.created` event POSTed to the customer's endpoint. */
export class WebWebhookClient implements OutboundClient {
  readonly channel: Channel = 'web';
  private readonly signer: Webhook;

  constructor(
    private readonly settings: WebConfig,
    private readonly http: AxiosInstance,
  ) {
    this.signer = new Webhook(settings.secret);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const now = new Date();
    const body = JSON.stringify({
      type: 'message.created',
      timestamp: now.toISOString(),
      data: {
        id: message.id,
        conversation_id: message.conversationId,
        external_id: message.recipient,
        body: message.body,
        subject: message.subject,
        created_at: message.createdAt.toISOString(),
        attachments: message.attachments.map((attachment) => {
          const { url, expiresAt } = attachment.signedUrl();
          return {
            id: attachment.id,
            content_type: attachment.contentType,
            filename: attachment.filename,
            size: attachment.size,
            sha256: attachment.sha256,
            url,
            url_expires_at: expiresAt.toISOString(),
          };
        }),
      },
    });
    const headers = {
      ...standardWebhookHeaders(this.signer, message.id, now, body),
      'Content-Type': 'application/json',
    };

    // A Buffer goes out untouched; axios would trim a string body, and the signature covers bytes.
    const response = await this.http
      .post(this.settings.url, Buffer.from(body, 'utf8'), { headers })
      .catch((error: unknown) => {
        throw requestFailure('web webhook', error);
      });

    const { status } = response;
    if (isSuccessStatus(status)) return { providerMessageId: message.id, httpStatus: status };
    if (status === 410) {
      throw SendError.permanent('web webhook endpoint gone (HTTP 410)', { httpStatus: status });
    }
    if (status >= 300 && status < 400) {
      throw SendError.permanent(
        `web webhook endpoint redirected (HTTP ${status}); redirects are not followed`,
        { httpStatus: status },
      );
    }
    throw httpStatusError(status, `web webhook endpoint answered HTTP ${status}`, {
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    });
  }
}

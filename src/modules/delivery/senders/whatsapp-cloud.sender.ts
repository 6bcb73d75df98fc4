import type { AxiosInstance } from 'axios';
import type { WhatsappConfig } from '../../../platform/config/app-config';
import type { Channel } from '../../conversation/channel';
import type { ChannelSender, OutboundMessage, SendResult } from './channel-sender';
import { isSuccessStatus, parseRetryAfter, requestFailure } from './provider-http';
import { SendError } from './send-error';
import { classifyWhatsappError } from './whatsapp-errors';

/** WhatsApp Business Cloud API: one POST to `…/{phone-number-id}/messages` per message. */
export class WhatsappCloudSender implements ChannelSender {
  readonly channel: Channel = 'whatsapp';

  constructor(
    private readonly settings: WhatsappConfig,
    private readonly http: AxiosInstance,
  ) {}

  async send(message: OutboundMessage): Promise<SendResult> {
    const payload = this.payload(message);
    const response = await this.http
      .post(this.settings.apiUrl, payload, {
        headers: { Authorization: `Bearer ${this.settings.accessToken}` },
      })
      .catch((error: unknown) => {
        throw requestFailure('whatsapp', error);
      });

    if (!isSuccessStatus(response.status)) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      throw classifyWhatsappError(response.status, response.data, retryAfterMs);
    }
    const wamid = (response.data as { messages?: { id?: unknown }[] } | null)?.messages?.[0]?.id;
    if (typeof wamid !== 'string' || wamid === '') {
      throw SendError.transient('whatsapp: no message id in response', {
        httpStatus: response.status,
      });
    }
    return { providerMessageId: wamid, httpStatus: response.status };
  }

  private payload(message: OutboundMessage): Record<string, unknown> {
    const envelope = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: message.recipient.replace(/^\+/, ''),
    };
    // Echoed in status webhooks, so receipts can be matched even before the wamid is stored.
    const correlation = { biz_opaque_callback_data: message.id };
    const { template } = message;
    if (template) {
      return {
        ...envelope,
        type: 'template',
        template: {
          name: template.name,
          language: { code: template.language },
          ...(template.components && { components: template.components }),
        },
        ...correlation,
      };
    }
    if (!message.body) {
      throw SendError.permanent('whatsapp: message has neither a body nor a template');
    }
    return {
      ...envelope,
      type: 'text',
      text: { preview_url: false, body: message.body },
      ...correlation,
    };
  }
}

import type { AxiosInstance } from 'axios';
import type { WhatsappConfig } from '../../platform/config/app-config';
import { whatsappMediaType } from './whatsapp-media-limits';
import { mediaUploadUrl } from './whatsapp-graph';
import type { Channel } from '../../shared/channel';
import type {
  OutboundClient,
  OutboundMessage,
  SendResult,
  OutboundAttachment,
} from '../outbound-client';
import { multipartBody } from './multipart-body';
import { isSuccessStatus, parseRetryAfter, requestFailure } from '../provider-http';
import { SendError } from '../../shared/send-error';
import { classifyWhatsappError } from './whatsapp-errors';

/**
 * WhatsApp Business Cloud API: one POST to `…/{phone-number-id}/messages` per message; a file
 * is first uploaded to `…/{phone-number-id}/media` and then sent by its media id.
 */
export class WhatsappCloudClient implements OutboundClient {
  readonly channel: Channel = 'whatsapp';

  constructor(
    private readonly settings: WhatsappConfig,
    private readonly http: AxiosInstance,
  ) {}

  async send(message: OutboundMessage): Promise<SendResult> {
    const [attachment] = message.attachments;
    const payload = attachment
      ? this.mediaPayload(message, attachment, await this.upload(attachment))
      : this.payload(message);
    const response = await this.post(this.settings.apiUrl, payload);
    const wamid = (response.data as { messages?: { id?: unknown }[] } | null)?.messages?.[0]?.id;
    if (typeof wamid !== 'string' || wamid === '') {
      throw SendError.transient('whatsapp: no message id in response', {
        httpStatus: response.status,
      });
    }
    return { providerMessageId: wamid, httpStatus: response.status };
  }

  /** POST /{phone-number-id}/media with the file streamed → the media id to send. */
  private async upload(attachment: OutboundAttachment): Promise<string> {
    const form = multipartBody(
      { messaging_product: 'whatsapp', type: attachment.contentType },
      {
        field: 'file',
        filename: attachment.filename ?? attachment.id,
        contentType: attachment.contentType,
        size: attachment.size,
        content: await attachment.open(),
      },
    );
    const response = await this.post(mediaUploadUrl(this.settings.apiUrl), form.body, {
      'Content-Type': form.contentType,
      'Content-Length': String(form.length),
    });
    const mediaId = (response.data as { id?: unknown } | null)?.id;
    if (typeof mediaId !== 'string' || mediaId === '') {
      throw SendError.transient('whatsapp: no media id in upload response', {
        httpStatus: response.status,
      });
    }
    return mediaId;
  }

  private async post(url: string, data: unknown, headers: Record<string, string> = {}) {
    const response = await this.http
      .post(url, data, {
        headers: { Authorization: `Bearer ${this.settings.accessToken}`, ...headers },
        // An upload may be 100 MB; axios' default cap is 10 MB.
        maxBodyLength: Infinity,
      })
      .catch((error: unknown) => {
        throw requestFailure('whatsapp', error);
      });
    if (!isSuccessStatus(response.status)) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      throw classifyWhatsappError(response.status, response.data, retryAfterMs);
    }
    return response;
  }

  private mediaPayload(
    message: OutboundMessage,
    attachment: OutboundAttachment,
    mediaId: string,
  ): Record<string, unknown> {
    const type = whatsappMediaType(attachment.contentType);
    if (!type) {
      throw SendError.permanent(`whatsapp: cannot send ${attachment.contentType} files`);
    }
    const media: Record<string, unknown> = { id: mediaId };
    // Audio has no caption on WhatsApp; documents show their file name.
    if (message.body && type !== 'audio') media.caption = message.body;
    if (type === 'document' && attachment.filename) media.filename = attachment.filename;
    return { ...this.envelope(message), type, [type]: media, ...correlation(message) };
  }

  private envelope(message: OutboundMessage) {
    return {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: message.recipient.replace(/^\+/, ''),
    };
  }

  private payload(message: OutboundMessage): Record<string, unknown> {
    const envelope = this.envelope(message);
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
        ...correlation(message),
      };
    }
    if (!message.body) {
      throw SendError.permanent('whatsapp: message has neither a body nor a template');
    }
    return {
      ...envelope,
      type: 'text',
      text: { preview_url: false, body: message.body },
      ...correlation(message),
    };
  }
}

/** Echoed in status webhooks, so receipts can be matched even before the wamid is stored. */
function correlation(message: OutboundMessage) {
  return { biz_opaque_callback_data: message.id };
}

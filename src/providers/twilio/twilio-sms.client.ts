import type { AxiosInstance } from 'axios';
import type { SmsConfig } from '../../platform/config/app-config';
import type { Channel } from '../../shared/channel';
import type { OutboundClient, OutboundMessage, SendResult } from '../outbound-client';
import { isSuccessStatus, parseRetryAfter, requestFailure } from '../provider-http';
import { SendError } from '../../shared/send-error';
import { classifyTwilioError } from './twilio-errors';

/** Where the SMS webhook controller receives Twilio's delivery receipts. */
const STATUS_CALLBACK_PATH = '/api/webhooks/sms/status';

/** Twilio Programmable Messaging: one form-encoded POST to `…/Messages.json` per message. */
export class TwilioSmsClient implements OutboundClient {
  readonly channel: Channel = 'sms';
  private readonly statusCallbackUrl: string;

  constructor(
    private readonly settings: SmsConfig,
    publicBaseUrl: string,
    private readonly http: AxiosInstance,
  ) {
    this.statusCallbackUrl = `${publicBaseUrl}${STATUS_CALLBACK_PATH}`;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    if (!message.body && message.attachments.length === 0) {
      throw SendError.permanent('twilio: message has neither a body nor attachments');
    }
    const form = new URLSearchParams({ To: message.recipient });
    if (this.settings.fromNumber) form.set('From', this.settings.fromNumber);
    else form.set('MessagingServiceSid', this.settings.messagingServiceSid!);
    if (message.body) form.set('Body', message.body);
    // Twilio fetches each file itself, through a signed link that needs no API key.
    for (const attachment of message.attachments) {
      form.append('MediaUrl', attachment.signedUrl().url);
    }
    form.set('StatusCallback', this.statusCallbackUrl);

    const response = await this.http
      .post(this.settings.apiUrl, form, {
        auth: { username: this.settings.accountSid, password: this.settings.authToken },
      })
      .catch((error: unknown) => {
        throw requestFailure('twilio', error);
      });

    if (!isSuccessStatus(response.status)) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      throw classifyTwilioError(response.status, response.data, retryAfterMs);
    }
    const sid = (response.data as { sid?: unknown } | null)?.sid;
    if (typeof sid !== 'string' || sid === '') {
      throw SendError.transient('twilio: no message sid in response', {
        httpStatus: response.status,
      });
    }
    return { providerMessageId: sid, httpStatus: response.status };
  }
}

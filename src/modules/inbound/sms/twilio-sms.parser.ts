import type { JsonObject } from '../../../platform/database/json';
import type { ReceiptStatus } from '../../messaging/message-status';
import type { InboundBatch, ParseContext } from '../inbound-batch';
import { objectAt, optionalStringAt, phoneAt, stringAt } from '../payload-fields';

/**
 * Twilio's StatusCallback statuses and what they mean for our message. Statuses before `sent`
 * (queued, accepted, …) and unknown ones move nothing; their receipt is still kept.
 */
const RECEIPT_STATUS: Record<string, ReceiptStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
};

/** An incoming SMS or MMS: `MessageSid, From, To, Body, NumMedia, MediaUrl{N}, …`. */
export function parseTwilioInboundSms(body: unknown, context: ParseContext): InboundBatch {
  const params = objectAt(body, 'form');
  const media: JsonObject[] = [];
  const count = Number(optionalStringAt(params, 'NumMedia', 'form') ?? '0');
  for (let n = 0; n < (Number.isInteger(count) ? Math.min(count, 10) : 0); n++) {
    const url = optionalStringAt(params, `MediaUrl${n}`, 'form');
    if (url) {
      media.push({
        url,
        content_type: optionalStringAt(params, `MediaContentType${n}`, 'form') ?? null,
      });
    }
  }
  const metadata: JsonObject = { to: optionalStringAt(params, 'To', 'form') ?? null };
  if (media.length > 0) metadata.media = media;
  const segments = optionalStringAt(params, 'NumSegments', 'form');
  if (segments) metadata.num_segments = Number(segments);
  const text = optionalStringAt(params, 'Body', 'form');
  const profileName = optionalStringAt(params, 'ProfileName', 'form')?.trim();
  return {
    messages: [
      {
        channel: 'sms',
        providerMessageId: stringAt(params, 'MessageSid', 'form'),
        sender: {
          key: 'phone',
          value: phoneAt(params, 'From', 'form', context.defaultCountry),
          name: profileName || undefined,
        },
        body: text ? text : null,
        subject: null,
        metadata,
        inReplyTo: [],
        attachments:
          media.length === 0
            ? undefined
            : media.map((file) => ({
                kind: 'twilio' as const,
                url: String(file.url),
                contentType: typeof file.content_type === 'string' ? file.content_type : '',
              })),
      },
    ],
    receipts: [],
  };
}

/** A StatusCallback: `MessageSid, MessageStatus, ErrorCode?`. Twilio sends no event time. */
export function parseTwilioStatusCallback(body: unknown): InboundBatch {
  const params = objectAt(body, 'form');
  const providerStatus = stringAt(params, 'MessageStatus', 'form');
  const status = RECEIPT_STATUS[providerStatus] ?? null;
  const errorCode = optionalStringAt(params, 'ErrorCode', 'form') || null;
  return {
    messages: [],
    receipts: [
      {
        channel: 'sms',
        providerMessageId: stringAt(params, 'MessageSid', 'form'),
        providerStatus,
        status,
        providerTimestamp: null,
        errorCode,
        error:
          status === 'failed'
            ? `Twilio reported ${providerStatus}${errorCode ? ` (error ${errorCode})` : ''}`
            : null,
      },
    ],
  };
}

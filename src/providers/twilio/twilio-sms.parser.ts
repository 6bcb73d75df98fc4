import type { JsonObject } from '../../platform/database/json';
import type { InboundBatch, ParseContext, InboundCustomer } from '../inbound-batch';
import { normalizePhone } from '../../shared/phone-number';
import { Fields, invalidPayload, objectAt, optionalStringAt, stringAt } from '../payload-fields';
import { ReceiptStatus } from '../../shared/receipt-status';

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
        path: 'form',
        channel: 'sms',
        providerMessageId: stringAt(params, 'MessageSid', 'form'),
        sender: { ...smsSender(params, context), name: profileName || undefined },
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
    problems: [],
  };
}

const SHORT_CODE = /^\d{3,8}$/;
/** Up to 11 letters, digits and spaces, at least one letter (how carriers define them). */
const ALPHANUMERIC_SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9 &'._-]{1,11}$/;

/**
 * A phone number, or else a short code ("72345") or alphanumeric sender ID ("ACMEBANK"). Those
 * have no phone to key a customer by: the customer is keyed by `external_id` "sms:<sender>",
 * prefixed so that it can never meet a web visitor's id or a phone customer.
 */
function smsSender(params: Fields, context: ParseContext): InboundCustomer {
  const from = stringAt(params, 'From', 'form').trim();
  const phone = normalizePhone(from.startsWith('+') ? from : `+${from}`, context.defaultCountry);
  if (phone && !SHORT_CODE.test(from)) return { key: 'phone', value: phone };
  if (SHORT_CODE.test(from) || ALPHANUMERIC_SENDER_ID.test(from)) {
    return { key: 'externalId', value: `sms:${from}` };
  }
  throw invalidPayload(
    'form.From must be a phone number, a short code or an alphanumeric sender ID',
  );
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
        path: 'form',
        providerMessageId: stringAt(params, 'MessageSid', 'form'),
        messageRef: null,
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
    problems: [],
  };
}

import { parse as parseForm } from 'node:querystring';
import type { InboundBatch, ParseContext } from '../../providers/inbound-batch';
import type { InboundProvider } from './inbound-provider';
import { parseInboundEmail } from '../../providers/sendgrid-inbound/inbound-email.parser';
import { invalidPayload } from '../../providers/payload-fields';
import {
  parseTwilioInboundSms,
  parseTwilioStatusCallback,
} from '../../providers/twilio/twilio-sms.parser';
import { storableBatch } from './storable-batch';
import { parseWebMessage } from '../../providers/standard-webhooks/web-message.parser';
import { parseWhatsappNotification } from '../../providers/whatsapp-cloud/whatsapp-notification.parser';

type InboundParser = (body: unknown, context: ParseContext) => InboundBatch;

const PARSERS: Record<InboundProvider, InboundParser> = {
  whatsapp: parseWhatsappNotification,
  sms: parseTwilioInboundSms,
  sms_status: parseTwilioStatusCallback,
  email: parseInboundEmail,
  web: parseWebMessage,
};

/**
 * A stored payload → what it carries, as it can be stored. The first pass and every replay go
 * through here from the stored text, so a replay sees exactly what the first attempt saw.
 */
export function parseInboundPayload(
  provider: InboundProvider,
  payload: string,
  context: ParseContext,
): InboundBatch {
  return storableBatch(PARSERS[provider](decode(context.contentType, payload), context));
}

function decode(contentType: string, payload: string): unknown {
  if (contentType === 'application/x-www-form-urlencoded') return { ...parseForm(payload) };
  try {
    // JSON bodies, and multipart forms, which are stored as the JSON of their fields.
    return JSON.parse(payload);
  } catch (error) {
    throw invalidPayload(`malformed JSON: ${(error as Error).message}`);
  }
}

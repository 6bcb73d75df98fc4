import { normalizeEmail } from '../../shared/email-address';
import type { InboundBatch, ParseContext } from '../inbound-batch';
import { invalidPayload, objectAt, optionalStringAt, stringAt } from '../payload-fields';

/**
 * `{external_id, name?, email?, body, message_id?}`. Without a message_id, the Standard Webhooks
 * `webhook-id` (the same across the sender's retries) is the message's provider id.
 */
export function parseWebMessage(body: unknown, context: ParseContext): InboundBatch {
  const message = objectAt(body, 'body');
  const externalId = stringAt(message, 'external_id', 'body').trim();
  if (externalId.length > 200)
    throw invalidPayload('body.external_id must be at most 200 characters');
  const email = optionalStringAt(message, 'email', 'body');
  if (email !== undefined && !/^[^@\s<>]+@[^@\s<>]+$/.test(email.trim())) {
    throw invalidPayload('body.email must be an email address');
  }
  const name = optionalStringAt(message, 'name', 'body')?.trim();
  return {
    messages: [
      {
        path: 'body',
        channel: 'web',
        providerMessageId:
          optionalStringAt(message, 'message_id', 'body') ?? context.headers['webhook-id'] ?? null,
        sender: {
          key: 'externalId',
          value: externalId,
          name: name || undefined,
          email: email ? normalizeEmail(email) : undefined,
        },
        body: stringAt(message, 'body', 'body'),
        subject: null,
        metadata: {},
        inReplyTo: [],
      },
    ],
    receipts: [],
    problems: [],
  };
}

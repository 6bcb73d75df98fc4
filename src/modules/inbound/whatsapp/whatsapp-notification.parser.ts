import type { JsonObject } from '../../../platform/database/json';
import type { ReceiptStatus } from '../../messaging/message-status';
import type { IncomingReceipt } from '../../messaging/receipt.service';
import type { InboundBatch, InboundMessageInput, ParseContext } from '../inbound-batch';
import {
  arrayAt,
  Fields,
  invalidPayload,
  objectAt,
  optionalArrayAt,
  optionalStringAt,
  phoneAt,
  stringAt,
  unixSecondsAt,
} from '../payload-fields';

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'];
const RECEIPT_STATUSES: readonly string[] = ['sent', 'delivered', 'read', 'failed'];

/**
 * A Cloud API notification: every entry and change, each with any number of messages (from
 * customers) and statuses (receipts for what we sent). Changes on other fields (account or
 * template updates) carry nothing for us and are skipped.
 */
export function parseWhatsappNotification(body: unknown, context: ParseContext): InboundBatch {
  const root = objectAt(body, 'body');
  if (root.object !== 'whatsapp_business_account') {
    throw invalidPayload('object must be "whatsapp_business_account"');
  }
  const batch: InboundBatch = { messages: [], receipts: [] };
  arrayAt(root.entry, 'entry').forEach((entryValue, i) => {
    const entry = objectAt(entryValue, `entry[${i}]`);
    arrayAt(entry.changes, `entry[${i}].changes`).forEach((changeValue, j) => {
      const path = `entry[${i}].changes[${j}]`;
      const change = objectAt(changeValue, path);
      if (change.field !== 'messages') return;
      const value = objectAt(change.value, `${path}.value`);
      const routing = value.metadata ? objectAt(value.metadata, `${path}.value.metadata`) : {};
      const names = profileNames(value.contacts, `${path}.value.contacts`);
      optionalArrayAt(value.messages, `${path}.value.messages`).forEach((message, k) => {
        const at = `${path}.value.messages[${k}]`;
        batch.messages.push(toMessage(objectAt(message, at), at, routing, names, context));
      });
      optionalArrayAt(value.statuses, `${path}.value.statuses`).forEach((status, k) => {
        const at = `${path}.value.statuses[${k}]`;
        batch.receipts.push(toReceipt(objectAt(status, at), at));
      });
    });
  });
  return batch;
}

function profileNames(contacts: unknown, path: string): Map<string, string> {
  const names = new Map<string, string>();
  optionalArrayAt(contacts, path).forEach((value, i) => {
    const contact = objectAt(value, `${path}[${i}]`);
    const waId = optionalStringAt(contact, 'wa_id', `${path}[${i}]`);
    const profile = contact.profile as Fields | undefined;
    const name = typeof profile?.name === 'string' ? profile.name.trim() : '';
    if (waId && name) names.set(waId, name);
  });
  return names;
}

function toMessage(
  message: Fields,
  path: string,
  routing: Fields,
  names: Map<string, string>,
  context: ParseContext,
): InboundMessageInput {
  const from = stringAt(message, 'from', path);
  const type = stringAt(message, 'type', path);
  const content = messageContent(message, type, path);
  const media = MEDIA_TYPES.includes(type) ? content.metadata : undefined;
  const sentAt = unixSecondsAt(message, 'timestamp', path);
  const metadata: JsonObject = {
    type,
    ...content.metadata,
    provider_timestamp: sentAt?.toISOString() ?? null,
    phone_number_id: routing.phone_number_id ?? null,
    display_phone_number: routing.display_phone_number ?? null,
  };
  if (message.context) metadata.context = message.context;
  if (message.errors) metadata.errors = message.errors;
  return {
    channel: 'whatsapp',
    providerMessageId: stringAt(message, 'id', path),
    sender: {
      key: 'phone',
      value: phoneAt(message, 'from', path, context.defaultCountry),
      name: names.get(from),
    },
    body: content.body,
    subject: null,
    metadata,
    inReplyTo: [],
    attachments: media && [
      {
        kind: 'whatsapp',
        mediaId: String(media.media_id),
        contentType: typeof media.mime_type === 'string' ? media.mime_type : '',
        filename: typeof media.filename === 'string' ? media.filename : null,
      },
    ],
  };
}

/** The text a person would read, and the rest of the typed content for metadata. */
function messageContent(
  message: Fields,
  type: string,
  path: string,
): { body: string | null; metadata: JsonObject } {
  const part = (key: string) => objectAt(message[key], `${path}.${key}`);
  if (type === 'text')
    return { body: stringAt(part('text'), 'body', `${path}.text`), metadata: {} };
  if (MEDIA_TYPES.includes(type)) {
    const media = part(type);
    const caption = optionalStringAt(media, 'caption', `${path}.${type}`) ?? null;
    return {
      body: caption,
      metadata: {
        caption,
        media_id: stringAt(media, 'id', `${path}.${type}`),
        mime_type: media.mime_type ?? null,
        sha256: media.sha256 ?? null,
        ...(media.filename ? { filename: media.filename } : {}),
        ...(media.voice !== undefined ? { voice: media.voice } : {}),
      },
    };
  }
  if (type === 'location') return { body: null, metadata: { location: part('location') } };
  if (type === 'interactive') {
    const interactive = part('interactive');
    const reply = (interactive.button_reply ?? interactive.list_reply ?? interactive.nfm_reply) as
      Fields | undefined;
    const title = reply?.title ?? reply?.body;
    return {
      body: typeof title === 'string' ? title : null,
      metadata: { interactive_type: interactive.type ?? null, reply: reply ?? null },
    };
  }
  if (type === 'button') {
    const button = part('button');
    return {
      body: optionalStringAt(button, 'text', `${path}.button`) ?? null,
      metadata: { reply: { payload: button.payload ?? null, text: button.text ?? null } },
    };
  }
  if (type === 'reaction') {
    const reaction = part('reaction');
    return {
      body: optionalStringAt(reaction, 'emoji', `${path}.reaction`) ?? null,
      metadata: { reaction },
    };
  }
  // contacts, order, system, unsupported …: kept whole, nothing to show as text.
  return { body: null, metadata: message[type] !== undefined ? { [type]: message[type] } : {} };
}

function toReceipt(status: Fields, path: string): IncomingReceipt {
  const providerStatus = stringAt(status, 'status', path);
  const errors = optionalArrayAt(status.errors, `${path}.errors`);
  const first = errors.length > 0 ? objectAt(errors[0], `${path}.errors[0]`) : undefined;
  const details = (first?.error_data as Fields | undefined)?.details;
  return {
    channel: 'whatsapp',
    providerMessageId: stringAt(status, 'id', path),
    providerStatus,
    status: RECEIPT_STATUSES.includes(providerStatus) ? (providerStatus as ReceiptStatus) : null,
    providerTimestamp: unixSecondsAt(status, 'timestamp', path),
    errorCode: first?.code !== undefined ? String(first.code) : null,
    error: first
      ? [`(#${String(first.code)}) ${String(first.title ?? first.message ?? 'error')}`, details]
          .filter(Boolean)
          .join(': ')
      : null,
  };
}

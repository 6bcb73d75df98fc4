import type { JsonObject } from '../../platform/database/json';
import { DomainError } from '../../platform/errors/domain-error';
import type {
  InboundBatch,
  InboundMessageInput,
  ParseContext,
  IncomingReceipt,
} from '../inbound-batch';
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
import { ReceiptStatus } from '../../shared/receipt-status';

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'];
const RECEIPT_STATUSES: readonly string[] = ['sent', 'delivered', 'read', 'failed'];

/**
 * A Cloud API notification: every entry and change, each with any number of messages (from
 * customers) and statuses (receipts for what we sent). Changes on other fields (account or
 * template updates) carry nothing for us and are skipped. Each entry, change, message and
 * status is read on its own: one that cannot be read is a problem named by its path, and the
 * others are still stored.
 */
export function parseWhatsappNotification(body: unknown, context: ParseContext): InboundBatch {
  const root = objectAt(body, 'body');
  if (root.object !== 'whatsapp_business_account') {
    throw invalidPayload('object must be "whatsapp_business_account"');
  }
  const batch: InboundBatch = { messages: [], receipts: [], problems: [] };
  const readEach = (items: unknown[], path: string, read: (item: unknown, at: string) => void) =>
    items.forEach((item, index) => {
      const at = `${path}[${index}]`;
      try {
        read(item, at);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        batch.problems.push(error.message);
      }
    });
  readEach(arrayAt(root.entry, 'entry'), 'entry', (entryValue, entryPath) => {
    const entry = objectAt(entryValue, entryPath);
    const changes = arrayAt(entry.changes, `${entryPath}.changes`);
    readEach(changes, `${entryPath}.changes`, (changeValue, path) => {
      const change = objectAt(changeValue, path);
      if (change.field !== 'messages') return;
      const value = objectAt(change.value, `${path}.value`);
      const routing = value.metadata ? objectAt(value.metadata, `${path}.value.metadata`) : {};
      const names = profileNames(value.contacts, `${path}.value.contacts`);
      const messages = optionalArrayAt(value.messages, `${path}.value.messages`);
      readEach(messages, `${path}.value.messages`, (message, at) => {
        batch.messages.push(toMessage(objectAt(message, at), at, routing, names, context));
      });
      const statuses = optionalArrayAt(value.statuses, `${path}.value.statuses`);
      readEach(statuses, `${path}.value.statuses`, (status, at) => {
        batch.receipts.push({ ...toReceipt(objectAt(status, at), at), path: at });
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
    path,
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

/**
 * The text a person would read, and the typed content for metadata. Text must have its body;
 * every other type is stored whatever it holds: its content is kept whole under its type's name
 * (as the Cloud API names it), with the details we read from it beside.
 */
function messageContent(
  message: Fields,
  type: string,
  path: string,
): { body: string | null; metadata: JsonObject } {
  if (type === 'text') {
    return {
      body: stringAt(objectAt(message.text, `${path}.text`), 'body', `${path}.text`),
      metadata: {},
    };
  }
  const raw = message[type];
  const content: Fields = isFields(raw) ? raw : {};
  const metadata: JsonObject = raw === undefined ? {} : { [type]: raw };
  if (MEDIA_TYPES.includes(type)) {
    const caption = textIn(content.caption);
    return {
      body: caption,
      metadata: {
        ...metadata,
        caption,
        media_id: textIn(content.id),
        mime_type: textIn(content.mime_type),
        sha256: textIn(content.sha256),
        ...(content.filename ? { filename: content.filename } : {}),
        ...(content.voice !== undefined ? { voice: content.voice } : {}),
      },
    };
  }
  if (type === 'interactive') {
    const reply = [content.button_reply, content.list_reply, content.nfm_reply].find(isFields);
    return {
      body: textIn(reply?.title) ?? textIn(reply?.body),
      metadata: {
        ...metadata,
        interactive_type: textIn(content.type),
        reply: reply ?? null,
      },
    };
  }
  if (type === 'button') {
    return {
      body: textIn(content.text),
      metadata: {
        ...metadata,
        reply: { payload: textIn(content.payload), text: textIn(content.text) },
      },
    };
  }
  // reaction: the emoji; system (number changes): its notice; location, contacts, order,
  // unsupported, …: nothing to show as text.
  return { body: textIn(content.emoji) ?? textIn(content.body), metadata };
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textIn(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function toReceipt(status: Fields, path: string): IncomingReceipt {
  const providerStatus = stringAt(status, 'status', path);
  const errors = optionalArrayAt(status.errors, `${path}.errors`);
  const first = errors.length > 0 ? objectAt(errors[0], `${path}.errors[0]`) : undefined;
  const details = (first?.error_data as Fields | undefined)?.details;
  return {
    channel: 'whatsapp',
    providerMessageId: stringAt(status, 'id', path),
    // Our message id, which the sender passes as biz_opaque_callback_data.
    messageRef: optionalStringAt(status, 'biz_opaque_callback_data', path) ?? null,
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

import type { JsonObject } from '../../platform/database/json';
import type { InboundAttachmentSource } from '../inbound-attachment';
import { normalizeEmail } from '../../shared/email-address';
import type { InboundBatch, ParseContext } from '../inbound-batch';
import {
  Fields,
  invalidPayload,
  objectAt,
  optionalArrayAt,
  optionalStringAt,
  stringAt,
} from '../payload-fields';
import { EmailAddress, messageIds, parseAddress, parseHeaderBlock } from './email-headers';
import { splitQuotedReply } from './email-quote';
import { htmlToText } from './html-to-text';

interface ParsedEmail {
  sender: EmailAddress;
  subject: string | null;
  text: string;
  messageId: string | null;
  /** In-Reply-To first, then References newest first: the nearest ancestor wins the thread. */
  ancestors: string[];
  metadata: JsonObject;
  attachments: InboundAttachmentSource[];
}

/**
 * Characters of an email's text that are read into the message (the raw event keeps what was
 * received): four times the longest body we send, and what bounds the time one email is parsed.
 */
const MAX_TEXT_LENGTH = 256 * 1024;

/**
 * An inbound email, either SendGrid Inbound Parse (multipart form fields, kept as JSON) or the
 * contract's JSON form. The header From is the customer (the person who wrote, where the SMTP
 * envelope sender may be a bounce address); the envelope sender is the fallback.
 */
export function parseInboundEmail(body: unknown, context: ParseContext): InboundBatch {
  const path = context.contentType === 'multipart/form-data' ? 'form' : 'body';
  const email =
    path === 'form' ? fromSendgridParse(objectAt(body, path)) : fromJson(objectAt(body, path));
  const truncated = email.text.length > MAX_TEXT_LENGTH;
  const { body: text, quoted } = splitQuotedReply(
    truncated ? email.text.slice(0, MAX_TEXT_LENGTH) : email.text,
  );
  return {
    messages: [
      {
        path,
        channel: 'email',
        providerMessageId: email.messageId,
        sender: {
          key: 'email',
          value: normalizeEmail(email.sender.address),
          name: email.sender.name ?? undefined,
        },
        body: text || null,
        subject: email.subject,
        metadata: {
          ...email.metadata,
          message_id: email.messageId,
          quoted_text: quoted,
          ...(truncated ? { text_truncated_at: MAX_TEXT_LENGTH } : {}),
        },
        inReplyTo: email.ancestors,
        attachments: email.attachments,
      },
    ],
    receipts: [],
    problems: [],
  };
}

function fromSendgridParse(form: Fields): ParsedEmail {
  const from = stringAt(form, 'from', 'form');
  const envelope = jsonField(form, 'envelope');
  const sender =
    parseAddress(from) ?? (typeof envelope?.from === 'string' ? parseAddress(envelope.from) : null);
  if (!sender) throw invalidPayload('form.from must be an email address');
  const headers = parseHeaderBlock(optionalStringAt(form, 'headers', 'form') ?? '');
  const attachmentInfo = jsonField(form, 'attachment-info') ?? {};
  const html = optionalStringAt(form, 'html', 'form');
  return {
    sender,
    attachments: keptFiles(form, attachmentInfo),
    subject: optionalStringAt(form, 'subject', 'form') ?? null,
    text: optionalStringAt(form, 'text', 'form') ?? (html ? htmlToText(html) : ''),
    messageId: messageIds(headers.get('message-id'))[0] ?? null,
    ancestors: ancestors(headers.get('in-reply-to'), headers.get('references')),
    metadata: {
      from,
      to: optionalStringAt(form, 'to', 'form') ?? null,
      cc: optionalStringAt(form, 'cc', 'form') ?? null,
      envelope: envelope ?? null,
      spam_score: optionalStringAt(form, 'spam_score', 'form') ?? null,
      attachments: Object.values(attachmentInfo).map((info) => {
        const { filename, type } = (info ?? {}) as Fields;
        return { filename: filename ?? null, type: type ?? null };
      }),
    },
  };
}

function fromJson(email: Fields): ParsedEmail {
  const from = stringAt(email, 'from', 'body');
  const sender = parseAddress(from);
  if (!sender) throw invalidPayload('body.from must be an email address');
  const html = optionalStringAt(email, 'html', 'body');
  const text = optionalStringAt(email, 'text', 'body') ?? (html ? htmlToText(html) : undefined);
  if (text === undefined) throw invalidPayload('body.text is required');
  const references = email.references;
  if (
    references !== undefined &&
    typeof references !== 'string' &&
    !(Array.isArray(references) && references.every((id) => typeof id === 'string'))
  ) {
    throw invalidPayload('body.references must be a string or an array of strings');
  }
  return {
    sender,
    attachments: inlineFiles(email.attachments),
    subject: optionalStringAt(email, 'subject', 'body') ?? null,
    text,
    messageId: messageIds(stringAt(email, 'message_id', 'body'))[0],
    ancestors: ancestors(
      optionalStringAt(email, 'in_reply_to', 'body'),
      references as string | string[] | undefined,
    ),
    metadata: { from, to: stringAt(email, 'to', 'body') },
  };
}

/**
 * SendGrid's files (`attachment1`…), each replaced by a reference to the kept bytes while the
 * form was read (see keepFormFiles); attachment-info gives their names and types.
 */
function keptFiles(form: Fields, attachmentInfo: Fields): InboundAttachmentSource[] {
  return Object.entries(attachmentInfo).flatMap(([field, info]) => {
    const reference = jsonField(form, field);
    if (typeof reference?.sha256 !== 'string' || typeof reference.size !== 'number') return [];
    const { filename, type } = (info ?? {}) as Fields;
    return [
      {
        kind: 'stored' as const,
        sha256: reference.sha256,
        size: reference.size,
        contentType: typeof type === 'string' ? type : String(reference.content_type ?? ''),
        filename: typeof filename === 'string' ? filename : null,
      },
    ];
  });
}

/** The JSON form's `attachments: [{filename, content_type, content (base64)}]`. */
function inlineFiles(value: unknown): InboundAttachmentSource[] {
  return optionalArrayAt(value, 'body.attachments').map((item, index) => {
    const path = `body.attachments[${index}]`;
    const file = objectAt(item, path);
    const content = stringAt(file, 'content', path).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(content)) {
      throw invalidPayload(`${path}.content must be base64`);
    }
    return {
      kind: 'inline' as const,
      content,
      contentType: optionalStringAt(file, 'content_type', path) ?? '',
      filename: optionalStringAt(file, 'filename', path) ?? null,
    };
  });
}

/**
 * A long thread's References list grows by one id per reply; the nearest ancestors are enough to
 * find the thread, and a hostile header with thousands of ids must not become thousands of lookups.
 */
const MAX_ANCESTORS = 50;

function ancestors(inReplyTo?: string | string[], references?: string | string[]): string[] {
  const ids = new Set([...messageIds(inReplyTo), ...messageIds(references).reverse()]);
  return [...ids].slice(0, MAX_ANCESTORS);
}

function jsonField(form: Fields, key: string): Fields | undefined {
  const raw = optionalStringAt(form, key, 'form');
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return objectAt(JSON.parse(raw), `form.${key}`);
  } catch {
    throw invalidPayload(`form.${key} must be a JSON object`);
  }
}

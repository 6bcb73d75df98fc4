import type { JsonObject } from '../../platform/database/json';
import { DomainError } from '../../platform/errors/domain-error';
import {
  findUnstorableValue,
  MAX_JSON_DEPTH,
  toStorableText,
  whyUnstorable,
} from '../../platform/http/unstorable-value';
import type { InboundAttachmentSource } from '../../providers/inbound-attachment';
import type {
  InboundBatch,
  InboundMessageInput,
  InboundReceipt,
} from '../../providers/inbound-batch';
import { invalidPayload } from '../../providers/payload-fields';

/**
 * What of a batch Postgres can store, each message and receipt on its own: one that carries a
 * NUL character or a lone surrogate must not fail the statement that stores the others, on
 * every replay. Text a person wrote (body, subject, names, metadata) is cleaned: NUL removed,
 * a lone surrogate shown as U+FFFD. An identifier (provider id, sender, media id, message ref)
 * cannot be changed without becoming another one: its message or receipt is left out as a
 * problem named by its path, like an unreadable part, and the raw event keeps it for a replay.
 */
export function storableBatch(batch: InboundBatch): InboundBatch {
  const problems = [...batch.problems];
  const keep = <T>(items: T[], storable: (item: T) => T): T[] =>
    items.flatMap((item) => {
      try {
        return [storable(item)];
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        problems.push(error.message);
        return [];
      }
    });
  return {
    messages: keep(batch.messages, storableMessage),
    receipts: keep(batch.receipts, storableReceipt),
    problems,
  };
}

function storableMessage(message: InboundMessageInput): InboundMessageInput {
  const { path, sender } = message;
  const id = (value: string | null, what: string) => identifier(value, `${path}: ${what}`);
  return {
    ...message,
    providerMessageId: id(message.providerMessageId, 'the message id'),
    sender: {
      ...sender,
      value: id(sender.value, `the sender's ${sender.key}`)!,
      name: sender.name === undefined ? undefined : toStorableText(sender.name),
      email: sender.email === undefined ? undefined : id(sender.email, "the sender's email")!,
    },
    body: message.body === null ? null : toStorableText(message.body),
    subject: message.subject === null ? null : toStorableText(message.subject),
    metadata: storableMetadata(message.metadata, `${path}: metadata`),
    // Ids that cannot be stored cannot name a stored message either.
    inReplyTo: message.inReplyTo.filter((ancestor) => whyUnstorable(ancestor) === null),
    attachments: message.attachments?.map((file) => storableAttachment(file, path)),
  };
}

function storableAttachment(file: InboundAttachmentSource, path: string): InboundAttachmentSource {
  const described = { ...file, contentType: toStorableText(file.contentType) };
  if ('filename' in described && described.filename !== null) {
    described.filename = toStorableText(described.filename);
  }
  if (described.kind === 'whatsapp') identifier(described.mediaId, `${path}: the media id`);
  if (described.kind === 'twilio') identifier(described.url, `${path}: the media URL`);
  return described;
}

function storableReceipt(receipt: InboundReceipt): InboundReceipt {
  const { path } = receipt;
  identifier(receipt.providerMessageId, `${path}: the message id`);
  identifier(receipt.messageRef, `${path}: the message ref`);
  identifier(receipt.providerStatus, `${path}: the status`);
  return {
    ...receipt,
    errorCode: receipt.errorCode === null ? null : toStorableText(receipt.errorCode),
    error: receipt.error === null ? null : toStorableText(receipt.error),
  };
}

function identifier<T extends string | null>(value: T, what: string): T {
  const reason = value === null ? null : whyUnstorable(value);
  if (reason) throw invalidPayload(`${what} ${reason}`);
  return value;
}

/**
 * Metadata with every key and string cleaned. Nesting deeper than MAX_JSON_DEPTH cannot be
 * cleaned (nor stored as jsonb): that message is a problem.
 */
function storableMetadata(metadata: JsonObject, what: string): JsonObject {
  if (!findUnstorableValue(metadata)) return metadata;
  const cleaned = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return toStorableText(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_JSON_DEPTH) {
      throw invalidPayload(`${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    if (Array.isArray(value)) return value.map((item) => cleaned(item, depth + 1));
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [toStorableText(key), cleaned(inner, depth + 1)]),
    );
  };
  return cleaned(metadata, 0) as JsonObject;
}

import { newId } from '../../platform/database/new-id';
import type { Message } from './message.entity';

/** A message before it is stored: the accept statement takes its customer and sender from the conversation. */
export type MessageDraft = Omit<Message, 'customerId' | 'senderId'>;

type Identity = Pick<Message, 'conversationId' | 'direction' | 'channel' | 'status'>;

/**
 * A message row as it is first written: a fresh time-ordered id, both timestamps from this
 * process (so the API answers with exactly what is stored), nothing sent or tried yet.
 */
export function newMessage(
  fields: Identity & Partial<MessageDraft>,
  now = new Date(),
): MessageDraft {
  return {
    id: newId(),
    body: null,
    subject: null,
    template: null,
    metadata: {},
    recipient: null,
    priority: 'normal',
    providerMessageId: null,
    attemptCount: 0,
    lastError: null,
    nextAttemptAt: null,
    expiresAt: null,
    createdAt: now,
    updatedAt: now,
    sentAt: null,
    deliveredAt: null,
    readAt: null,
    failedAt: null,
    ...fields,
  };
}

import { rowJsonSql } from '../../../platform/database/json-sql';

/** How much of the last message's body a conversation shows. */
export const LAST_MESSAGE_PREVIEW_CHARS = 140;

/** A conversation's `last_message` as a SQL expression over a messages row. */
export function lastMessageJsonSql(message: string): string {
  return `jsonb_build_object('id', ${message}.id,
    'body', left(${message}.body, ${LAST_MESSAGE_PREVIEW_CHARS}),
    'direction', ${message}.direction, 'status', ${message}.status)`;
}

/**
 * mapConversation() as a SQL expression over a conversations row, for events appended in SQL;
 * `lastMessage` is the SQL of its last_message (a statement that stores that message in the
 * same run cannot read it from the table yet).
 */
export function conversationJsonSql(row: string, lastMessage: string): string {
  return `${rowJsonSql(
    row,
    ['id', 'customer_id', 'channel', 'subject', 'status', 'assignee_id', 'unread_count'],
    ['last_message_at', 'created_at', 'updated_at'],
  )} || jsonb_build_object('last_message', ${lastMessage})`;
}

import { rowJsonSql } from '../../../platform/database/json-sql';

/** mapConversation() as a SQL expression over a conversations row, for events appended in SQL. */
export function conversationJsonSql(row: string): string {
  return rowJsonSql(
    row,
    ['id', 'customer_id', 'channel', 'sender_id', 'subject', 'status'],
    ['last_message_at', 'created_at', 'updated_at'],
  );
}

import { isoTimestampSql as iso } from '../../../platform/database/json-sql';

/** mapConversation() as a SQL expression over a conversations row, for events appended in SQL. */
export function conversationJsonSql(row: string): string {
  return `jsonb_build_object(
    'id', ${row}.id,
    'customer_id', ${row}.customer_id,
    'channel', ${row}.channel,
    'subject', ${row}.subject,
    'status', ${row}.status,
    'last_message_at', ${iso(`${row}.last_message_at`)},
    'created_at', ${iso(`${row}.created_at`)},
    'updated_at', ${iso(`${row}.updated_at`)})`;
}

import { rowJsonSql } from '../../../platform/database/json-sql';
import { messageAttachmentsJsonSql } from '../../attachments/dto/attachment-json.sql';

/**
 * mapMessage() as a SQL expression over a messages row, for the events that single-statement
 * changes append (DeliveryLedger, accept, inbound). Keep the two in step: the events e2e test
 * compares them. `attachments` defaults to the files linked to the row.
 */
export function messageJsonSql(
  row: string,
  attachments = messageAttachmentsJsonSql(`${row}.id`),
): string {
  const columns = rowJsonSql(
    row,
    [
      'id',
      'conversation_id',
      'customer_id',
      'direction',
      'channel',
      'sender_id',
      'body',
      'subject',
      'template',
      'metadata',
      'priority',
      'status',
      'provider_message_id',
      'attempt_count',
      'last_error',
    ],
    [
      'next_attempt_at',
      'expires_at',
      'created_at',
      'updated_at',
      'sent_at',
      'delivered_at',
      'read_at',
      'failed_at',
    ],
  );
  return `(${columns} || jsonb_build_object('attachments', ${attachments}))`;
}

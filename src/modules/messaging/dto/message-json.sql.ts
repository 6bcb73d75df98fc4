import { isoTimestampSql as iso } from '../../../platform/database/json-sql';

/**
 * mapMessage() as a SQL expression over a messages row, for the events that single-statement
 * changes append (DeliveryLedger, accept, inbound). Keep the two in step: the events e2e test
 * compares them.
 */
export function messageJsonSql(row: string): string {
  return `jsonb_build_object(
    'id', ${row}.id,
    'conversation_id', ${row}.conversation_id,
    'customer_id', ${row}.customer_id,
    'direction', ${row}.direction,
    'channel', ${row}.channel,
    'body', ${row}.body,
    'subject', ${row}.subject,
    'template', ${row}.template,
    'metadata', ${row}.metadata,
    'priority', ${row}.priority,
    'status', ${row}.status,
    'provider_message_id', ${row}.provider_message_id,
    'attempt_count', ${row}.attempt_count,
    'last_error', ${row}.last_error,
    'next_attempt_at', ${iso(`${row}.next_attempt_at`)},
    'expires_at', ${iso(`${row}.expires_at`)},
    'created_at', ${iso(`${row}.created_at`)},
    'updated_at', ${iso(`${row}.updated_at`)},
    'sent_at', ${iso(`${row}.sent_at`)},
    'delivered_at', ${iso(`${row}.delivered_at`)},
    'read_at', ${iso(`${row}.read_at`)},
    'failed_at', ${iso(`${row}.failed_at`)})`;
}

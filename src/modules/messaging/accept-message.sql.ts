import { statement } from '../../platform/database/prepared-sql';
import { appendEventsSql } from '../events/append-events.sql';
import { attachmentIdsJsonSql } from '../attachments/dto/attachment-json.sql';
import { messageJsonSql } from './dto/message-json.sql';

/**
 * POST /api/messages in one statement, so one round trip and one commit: the conversation and
 * its customer are read, the WhatsApp reply window checked, the message inserted, the
 * conversation touched (its last message, and its unread count for an inbound one) and
 * `message.created` appended. No row comes back when the conversation
 * is missing, on another channel, or its window is closed; MessageService then says which.
 *
 * $1 id, $2 conversation_id, $3 direction, $4 channel, $5 body, $6 subject, $7 template,
 * $8 metadata, $9 an explicit recipient (else the customer's address on the channel),
 * $10 priority, $11 status, $12 expires_at, $13 created_at, $14 the reply window's start
 * (NULL: no window to check), $15 attachment ids (linked in order; checked beforehand);
 * with a key, $16 key, $17 request hash, $18 response status.
 */
function acceptSql(idempotencyKey: boolean): string {
  // The links are written by this statement, so its own reads do not see them yet.
  const messageJson = messageJsonSql('message', attachmentIdsJsonSql('$15::uuid[]'));
  return `
  WITH target AS (
    SELECT conversation.id, conversation.customer_id,
           CASE WHEN $4::text = 'email' THEN conversation.subject END AS default_subject,
           CASE conversation.channel
             WHEN 'email' THEN customer.email
             WHEN 'web' THEN customer.external_id
             ELSE customer.phone
           END AS customer_address
      FROM conversations conversation
      JOIN customers customer ON customer.id = conversation.customer_id
     WHERE conversation.id = $2::uuid AND conversation.channel = $4::text
       AND ($14::timestamptz IS NULL OR EXISTS (
             SELECT 1 FROM messages inbound
              WHERE inbound.customer_id = conversation.customer_id
                AND inbound.channel = 'whatsapp' AND inbound.direction = 'inbound'
                AND inbound.created_at > $14::timestamptz))
  ),
  message AS (
    INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, subject,
                          template, metadata, recipient, priority, status, expires_at,
                          created_at, updated_at)
    SELECT $1::uuid, target.id, target.customer_id, $3::text, $4::text, $5::text, COALESCE($6::text, target.default_subject),
           $7::jsonb, $8::jsonb,
           CASE WHEN $3::text = 'outbound' THEN COALESCE($9::text, target.customer_address) END,
           $10::text, $11::text, $12::timestamptz, $13::timestamptz, $13::timestamptz
      FROM target
    RETURNING *
  ),
  linked AS (
    INSERT INTO message_attachments (message_id, position, attachment_id)
    SELECT message.id, listed.position, listed.id
      FROM message, unnest($15::uuid[]) WITH ORDINALITY AS listed(id, position)
  ),
  touched AS (
    UPDATE conversations
       SET last_message_at = GREATEST(COALESCE(last_message_at, message.created_at), message.created_at),
           last_message_id = CASE WHEN last_message_at > message.created_at THEN last_message_id
                                  ELSE message.id END,
           unread_count = unread_count + (message.direction = 'inbound')::int
      FROM message WHERE conversations.id = message.conversation_id
  ),
  created_event AS (${appendEventsSql(
    `SELECT 'message.created' AS type, conversation_id, NULL AS previous_status,
            ${messageJson} AS data
       FROM message`,
  )})${
    idempotencyKey
      ? `,
  remembered AS (
    INSERT INTO idempotency_keys (key, request_hash, message_id, response_status, response_body)
    SELECT $16::text, $17::text, message.id, $18::int, ${messageJson} FROM message
  )`
      : ''
  }
  SELECT customer_id, subject, recipient FROM message`;
}

export const ACCEPT_MESSAGE = statement('accept-message', acceptSql(false));
export const ACCEPT_MESSAGE_WITH_KEY = statement('accept-message-with-key', acceptSql(true));

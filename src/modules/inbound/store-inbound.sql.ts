import { statement } from '../../platform/database/prepared-sql';
import { conversationJsonSql, lastMessageJsonSql } from '../conversation/dto/conversation-json.sql';
import { customerJsonSql } from '../customer/dto/customer-json.sql';
import { messageJsonSql } from '../messaging/dto/message-json.sql';

/**
 * A webhook's messages stored in one statement, so one round trip and one commit whatever the
 * batch holds: the raw event is claimed (intake) or taken back (replay) and marked processed;
 * each message not stored before finds or creates its customer (by phone, email or external id)
 * and that customer's open conversation on the channel, is inserted, and touches its
 * conversation (last message, unread count; a conversation opened here starts with them, since
 * the statement cannot update a row it inserts); customer.created, conversation.created and message.created are appended in that
 * order. No row comes back when the raw event was already claimed (same bytes stored before) or
 * already processed (replay); otherwise one row per stored message, or one with a NULL message
 * when there was nothing new to store.
 *
 * When a concurrent webhook creates a customer or conversation this one meant to create, the
 * statement calls retry_statement() and undoes itself: the caller runs it again and the new run
 * sees the other's rows. Customers and conversations are created in sorted order, so two batches
 * wait on each other instead of deadlocking.
 *
 * Per message, in arrays of equal length: $1 id, $2 channel, $3 provider_message_id, the
 * sender's identity (one of $4 phone, $5 email, $6 external_id), $7 name, $8 a second email for a
 * new customer (dropped when another customer has it), $9 body, $10 subject, $11 metadata,
 * $12 the customer of the conversation it replies to and $13 that conversation when open,
 * $14/$15 ids for a customer/conversation it may create. $16 the time of storing. Then the event:
 * intake $17 id, $18 provider, $19 event_key, $20 content type, $21 headers, $22 payload,
 * $23 error, $24 subject keys (see subject-keys.ts), $25 the sender it was routed to; replay
 * $17 id, $18 error, $19 the sender. A new conversation belongs to that sender; a reply to an
 * earlier message joins that message's conversation, and its sender. An event with an error (parts of it could not be read)
 * is kept `failed` with it, its readable parts stored, so that a replay can finish it.
 */
function storeInboundSql(claim: string, input: string, senderId: string): string {
  return `
  WITH raw AS (${claim}),
  input (${INPUT_COLUMNS}) AS (${input}),
  fresh AS (
    SELECT DISTINCT ON (input.channel, COALESCE(input.provider_message_id, input.message_id::text))
           input.*
      FROM input
     WHERE EXISTS (SELECT 1 FROM raw)
       AND NOT EXISTS (
             SELECT 1 FROM messages stored
              WHERE stored.channel = input.channel
                AND stored.provider_message_id = input.provider_message_id)
       AND NOT EXISTS (
             SELECT 1 FROM inbound_message_keys kept
              WHERE kept.channel = input.channel
                AND kept.provider_message_digest = sha256(convert_to(input.provider_message_id, 'UTF8')))
     ORDER BY input.channel, COALESCE(input.provider_message_id, input.message_id::text),
              input.position
  ),
  identified AS (
    SELECT fresh.*,
           CASE WHEN fresh.thread_customer_id IS NULL
                THEN COALESCE(by_phone.id, by_email.id, by_external_id.id) END AS known_customer_id,
           COALESCE(by_phone.name, by_email.name, by_external_id.name) AS known_name
      FROM fresh
      LEFT JOIN customers by_phone ON by_phone.phone = fresh.phone
      LEFT JOIN customers by_email ON by_email.email = fresh.email
      LEFT JOIN customers by_external_id ON by_external_id.external_id = fresh.external_id
  ),
  new_customer AS (
    INSERT INTO customers (id, name, phone, email, external_id, created_at, updated_at)
    SELECT DISTINCT ON (phone, email, external_id)
           new_customer_id, name, phone,
           COALESCE(email, CASE WHEN NOT EXISTS (
             SELECT 1 FROM customers taken WHERE taken.email = identified.extra_email)
             THEN extra_email END),
           external_id, $16::timestamptz, $16::timestamptz
      FROM identified
     WHERE thread_customer_id IS NULL AND known_customer_id IS NULL
     ORDER BY phone, email, external_id, position
    ON CONFLICT DO NOTHING
    RETURNING *
  ),
  named AS (
    UPDATE customers SET name = unnamed.name, updated_at = $16::timestamptz
      FROM (SELECT DISTINCT ON (known_customer_id) known_customer_id, name FROM identified
             WHERE known_customer_id IS NOT NULL AND known_name IS NULL AND name IS NOT NULL
             ORDER BY known_customer_id, position) AS unnamed
     WHERE customers.id = unnamed.known_customer_id AND customers.name IS NULL
  ),
  customer_of AS (
    SELECT identified.position, identified.message_id, identified.channel, identified.subject,
           identified.thread_conversation_id, identified.new_conversation_id,
           COALESCE(identified.thread_customer_id, identified.known_customer_id, created.id)
             AS customer_id
      FROM identified
      LEFT JOIN new_customer created
        ON created.phone = identified.phone OR created.email = identified.email
        OR created.external_id = identified.external_id
  ),
  routed AS (
    SELECT customer_of.*, ${senderId}::uuid AS sender_id FROM customer_of
  ),
  conversation_of AS (
    SELECT routed.*, COALESCE(routed.thread_conversation_id, open.id) AS open_id
      FROM routed
      LEFT JOIN conversations open
        ON routed.thread_conversation_id IS NULL AND open.customer_id = routed.customer_id
       AND open.channel = routed.channel AND open.sender_id = routed.sender_id
       AND open.status = 'open'
  ),
  new_conversation AS (
    INSERT INTO conversations (id, customer_id, channel, sender_id, subject, status,
                               last_message_at, unread_count, last_message_id, created_at,
                               updated_at)
    SELECT DISTINCT ON (customer_id, channel)
           new_conversation_id, customer_id, channel, sender_id, subject, 'open', $16::timestamptz,
           count(*) OVER opened,
           last_value(message_id) OVER (opened ORDER BY position
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
           $16::timestamptz, $16::timestamptz
      FROM conversation_of
     WHERE open_id IS NULL AND customer_id IS NOT NULL
    WINDOW opened AS (PARTITION BY customer_id, channel)
     ORDER BY customer_id, channel, position
    ON CONFLICT DO NOTHING
    RETURNING *
  ),
  placed AS (
    SELECT fresh.*, conversation_of.customer_id,
           COALESCE(conversation_of.open_id, created.id) AS conversation_id,
           COALESCE(existing.sender_id, created.sender_id) AS sender_id
      FROM fresh
      JOIN conversation_of USING (position)
      LEFT JOIN conversations existing ON existing.id = conversation_of.open_id
      LEFT JOIN new_conversation created
        ON created.customer_id = conversation_of.customer_id
       AND created.channel = conversation_of.channel
  ),
  message AS (
    INSERT INTO messages (id, conversation_id, sender_id, customer_id, direction, channel, body,
                          subject, metadata, status, provider_message_id, created_at, updated_at)
    SELECT message_id, conversation_id, sender_id, customer_id, 'inbound', channel, body, subject, metadata,
           'received', provider_message_id, $16::timestamptz, $16::timestamptz
      FROM placed
     WHERE CASE WHEN EXISTS (SELECT 1 FROM placed WHERE conversation_id IS NULL)
                THEN retry_statement('a concurrent webhook created a customer or conversation')
                ELSE true END
     ORDER BY position
    ON CONFLICT DO NOTHING
    RETURNING *
  ),
  touched AS (
    UPDATE conversations
       SET last_message_at = GREATEST(last_message_at, $16::timestamptz),
           last_message_id = CASE WHEN last_message_at > $16::timestamptz THEN last_message_id
                                  ELSE stored.last_id END,
           unread_count = unread_count + stored.count
      FROM (SELECT conversation_id, count(*) AS count,
                   (array_agg(id ORDER BY id DESC))[1] AS last_id
              FROM message GROUP BY conversation_id) AS stored
     WHERE conversations.id = stored.conversation_id
  ),
  appended AS (
    INSERT INTO events (type, conversation_id, previous_status, data)
    SELECT type, conversation_id, NULL, data FROM (
      SELECT 1 AS kind, id, 'customer.created' AS type, NULL::uuid AS conversation_id,
             ${customerJsonSql('new_customer')} AS data
        FROM new_customer
      UNION ALL
      SELECT 2, new_conversation.id, 'conversation.created', new_conversation.id,
             ${conversationJsonSql('new_conversation', lastMessageJsonSql('last_message'))}
        FROM new_conversation
        LEFT JOIN message last_message ON last_message.id = new_conversation.last_message_id
      UNION ALL
      SELECT 3, id, 'message.created', conversation_id, ${messageJsonSql('message', NO_FILES_YET)}
        FROM message
    ) AS created ORDER BY kind, id
  )
  SELECT message.id AS message_id, message.conversation_id, message.customer_id, message.channel
    FROM raw LEFT JOIN message ON true
   ORDER BY message.id`;
}

/**
 * A message's files are linked after this statement, in its transaction (recordInbound), and the
 * statement's snapshot would not see them anyway: reading message_attachments for the messages it
 * inserts can only find none, so message.created says so without the lookup.
 */
const NO_FILES_YET = `'[]'::jsonb`;

const INPUT_COLUMNS = `message_id, channel, provider_message_id, phone, email, external_id, name,
  extra_email, body, subject, metadata, thread_customer_id, thread_conversation_id,
  new_customer_id, new_conversation_id, position`;
const INPUT_TYPES = [
  'uuid',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'uuid',
  'uuid',
  'uuid',
  'uuid',
];

/**
 * One message per webhook is by far the common case, and it gets its own plan: parameters as
 * one row, which Postgres knows is one row, so every lookup is an index probe. Planned for an
 * array of unknown length, the same joins become hash joins over whole tables while they are
 * small enough for that to look cheap.
 */
const ONE_MESSAGE = `SELECT ${INPUT_TYPES.map((type, index) => `$${index + 1}::${type}`).join(', ')}, 1::bigint
  `;
const MESSAGE_ARRAYS = `SELECT * FROM unnest(${INPUT_TYPES.map((type, index) => `$${index + 1}::${type}[]`).join(', ')})
      WITH ORDINALITY`;

const CLAIM_INTAKE = `
    INSERT INTO inbound_events (id, provider, event_key, content_type, headers, payload, status,
                                error, attempts, created_at, processed_at, subject_keys, sender_id)
    VALUES ($17::uuid, $18::text, $19::text, $20::text, $21::jsonb, $22::text,
            CASE WHEN $23::text IS NULL THEN 'processed' ELSE 'failed' END, $23::text, 1,
            $16::timestamptz, $16::timestamptz, $24::text[], $25::uuid)
    ON CONFLICT (provider, event_key) DO NOTHING
    RETURNING id`;

const CLAIM_REPLAY = `
    UPDATE inbound_events
       SET status = CASE WHEN $18::text IS NULL THEN 'processed' ELSE 'failed' END,
           error = $18::text, attempts = attempts + 1,
           processed_at = $16::timestamptz, sender_id = $19::uuid
     WHERE id = $17::uuid AND status <> 'processed'
    RETURNING id`;

/** The store statements by how the event is claimed and how many messages it carries. */
export const STORE_INBOUND = {
  intake: {
    one: statement('store-inbound-intake-one', storeInboundSql(CLAIM_INTAKE, ONE_MESSAGE, '$25')),
    many: statement(
      'store-inbound-intake-many',
      storeInboundSql(CLAIM_INTAKE, MESSAGE_ARRAYS, '$25'),
    ),
  },
  replay: {
    one: statement('store-inbound-replay-one', storeInboundSql(CLAIM_REPLAY, ONE_MESSAGE, '$19')),
    many: statement(
      'store-inbound-replay-many',
      storeInboundSql(CLAIM_REPLAY, MESSAGE_ARRAYS, '$19'),
    ),
  },
};

/**
 * Which of the provider message ids ($1 channels, $2 ids; answers 1-based positions) are of
 * messages an erasure removed: it keeps them as bare digests (KEEP_ERASED_SENDS, and
 * REMOVE_MESSAGES for inbound ones). Asked of a webhook's receipts, and of its messages that were
 * not stored because they repeat one. One primary-key probe per id.
 */
export const FIND_ERASED_PROVIDER_IDS = `
  SELECT given.position::int AS position
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS given (channel, id, position)
   WHERE EXISTS (SELECT 1 FROM inbound_message_keys kept
                  WHERE kept.channel = given.channel
                    AND kept.provider_message_digest = sha256(convert_to(given.id, 'UTF8')))`;

/** A raw webhook about an erased customer keeps nothing they sent: its payload and headers go. */
export const REDACT_INBOUND_EVENT = `
  UPDATE inbound_events SET payload = '', headers = '{}', subject_keys = '{}' WHERE id = $1`;

/** The customer $1, locked: webhooks and sends about them wait until the erasure is done. */
export const LOCK_CUSTOMER = `
  SELECT id, phone, email, external_id, created_at FROM customers WHERE id = $1 FOR UPDATE`;

export const LOCK_CONVERSATIONS = `SELECT id FROM conversations WHERE customer_id = $1 FOR UPDATE`;

/**
 * Locking them makes a worker's claim wait, then find nothing: a pending send never happens.
 * A message belongs to its conversation's customer, so their conversations find them all.
 */
export const LOCK_MESSAGES = `
  SELECT id, channel, status, provider_message_id, created_at FROM messages
   WHERE conversation_id = ANY($1::uuid[])
     FOR UPDATE`;

/**
 * Raw webhooks that mention the customer: by their messages' provider ids (inbound messages,
 * and status reports about outbound ones) or their identity ($2: E.164 phone, the same digits
 * without "+" as WhatsApp writes them, lower-case email, external id), since $3. Raw payloads
 * have no foreign key to what they carried, so this reads the kept window (bounded by
 * RETENTION_INBOUND_EVENTS_DAYS) from the customer's first trace on; it also finds a provider's
 * retries and failed deliveries, which no stored row points to.
 */
export const FIND_INBOUND_EVENTS = `
  SELECT event.id
    FROM inbound_events event, LATERAL (SELECT lower(event.payload) AS text) AS folded
   WHERE event.id >= $3::uuid
     AND (EXISTS (SELECT 1 FROM unnest($1::text[]) AS needle
                   WHERE strpos(event.payload, needle) > 0 OR strpos(event.headers::text, needle) > 0)
          OR EXISTS (SELECT 1 FROM unnest($2::text[]) AS needle
                      WHERE strpos(folded.text, needle) > 0))
   UNION
  SELECT split_part(source, ':', 1)::uuid FROM unnest($4::text[]) AS source`;

export const DELETE_INBOUND_EVENTS = `
  WITH removed AS (DELETE FROM inbound_events WHERE id = ANY($1::uuid[]) RETURNING 1)
  SELECT count(*)::int AS removed FROM removed`;

/** Every event about the customer: their conversations' and messages', and customer.created. */
export const FIND_EVENTS = `
  SELECT id FROM events WHERE conversation_id = ANY($1::uuid[]) AND seq IS NOT NULL
   UNION ALL
  SELECT id FROM events WHERE type = 'customer.created' AND data ->> 'id' = $2::text`;

export const DELETE_EVENTS = `
  WITH removed AS (DELETE FROM events WHERE id = ANY($1::bigint[]) RETURNING 1)
  SELECT count(*)::int AS removed FROM removed`;

export const DELETE_CONVERSATIONS_AND_CUSTOMER = `
  WITH conversations_removed AS (DELETE FROM conversations WHERE customer_id = $1 RETURNING 1),
       customer_removed AS (DELETE FROM customers WHERE id = $1)
  SELECT count(*)::int AS removed FROM conversations_removed`;

/** The customer $1, locked: webhooks and sends about them wait until the erasure is done. */
export const LOCK_CUSTOMER = `
  SELECT id, phone, email, external_id, created_at FROM customers WHERE id = $1 FOR UPDATE`;

export const LOCK_CONVERSATIONS = `SELECT id FROM conversations WHERE customer_id = $1 FOR UPDATE`;

/**
 * Locking them makes a worker's claim wait, then find nothing: a pending send never happens.
 * A message belongs to its conversation's customer, so their conversations find them all.
 * By id, the order every other locker of several messages takes them in (no deadlock).
 */
export const LOCK_MESSAGES = `
  SELECT id, channel, direction, status, provider_message_id, created_at FROM messages
   WHERE conversation_id = ANY($1::uuid[])
   ORDER BY id
     FOR UPDATE`;

/**
 * Raw webhooks about the customer, through the GIN index on subject_keys ($1: the digests of
 * their identities and their messages' provider ids, see subject-keys.ts), one probe per key (an
 * overlap with the whole array is estimated to match every row and read them all). This also
 * finds a provider's retries and failed deliveries that no stored row points to. Plus the
 * sources of the receipts removed with their messages ($2).
 */
export const FIND_INBOUND_EVENTS = `
  SELECT event.id
    FROM unnest($1::text[]) AS key
    JOIN inbound_events event ON event.subject_keys @> ARRAY[key]
   UNION
  SELECT split_part(source, ':', 1)::uuid FROM unnest($2::text[]) AS source`;

/**
 * Raw webhooks without keys (kept before keys existed, or not fully readable) have only their
 * text: one page of them after $1 (ids in order, through a partial index that holds only them),
 * of at most $4, read for the messages' provider ids ($2) or the customer's identity ($3: E.164
 * phone, the same digits without "+" as WhatsApp writes them, lower-case email, external id).
 * Answers the matches and the page's last row (\`last\`), where the next page starts. Pages keep
 * each statement far from the statement timeout however many such rows a database still holds.
 */
export const FIND_UNKEYED_INBOUND_EVENTS = `
  WITH page AS MATERIALIZED (
    SELECT id, payload, headers FROM inbound_events
     WHERE subject_keys IS NULL AND id > $1::uuid
     ORDER BY id LIMIT $4
  )
  SELECT id, matched, last FROM (
    SELECT id,
           EXISTS (SELECT 1 FROM unnest($2::text[]) AS needle
                    WHERE strpos(payload, needle) > 0 OR strpos(headers::text, needle) > 0)
           OR EXISTS (SELECT 1 FROM unnest($3::text[]) AS needle
                       WHERE strpos(lower(payload), needle) > 0) AS matched,
           row_number() OVER (ORDER BY id DESC) = 1 AS last
      FROM page) AS read
   WHERE matched OR last`;

/**
 * Tombstones of their sent messages' provider ids ($1 channels, $2 ids), beside the inbound ones
 * REMOVE_MESSAGES keeps: a receipt arriving later for one is recognised and kept nowhere.
 */
export const KEEP_ERASED_SENDS = `
  INSERT INTO inbound_message_keys (channel, provider_message_digest, received_at)
  SELECT channel, sha256(convert_to(id, 'UTF8')), now() FROM unnest($1::text[], $2::text[]) AS sent (channel, id)
  ON CONFLICT (channel, provider_message_digest) DO UPDATE SET received_at = now()`;

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

/** Provider ids of removed inbound messages stay known this long: WhatsApp retries for 7 days. */
export const DEDUP_KEY_DAYS = 7;

export interface RemovedMessages {
  messages: number;
  receipts: number;
  /** Where each removed receipt came from (`<inbound event id>:<position>`). */
  receipt_sources: string[];
}

/**
 * Messages $1 (uuid[]) removed with their attempts, receipts and idempotency records, in one
 * statement (the foreign keys are checked at its end, when the children are gone too). Inbound
 * ones keep a digest of their provider id in inbound_message_keys, so a provider's late retry of one is
 * still recognised as stored and does not bring it back.
 */
export const REMOVE_MESSAGES = `
  WITH doomed AS MATERIALIZED (
    SELECT id, channel, direction, provider_message_id, created_at
      FROM messages WHERE id = ANY($1::uuid[])
  ),
  kept_keys AS (
    INSERT INTO inbound_message_keys (channel, provider_message_digest, received_at)
    SELECT channel, sha256(convert_to(provider_message_id, 'UTF8')), created_at FROM doomed
     WHERE direction = 'inbound' AND provider_message_id IS NOT NULL
       AND created_at > now() - make_interval(days => ${DEDUP_KEY_DAYS})
    ON CONFLICT DO NOTHING
  ),
  attempts AS (DELETE FROM message_attempts WHERE message_id IN (SELECT id FROM doomed)),
  linked_receipts AS (
    DELETE FROM message_receipts WHERE message_id IN (SELECT id FROM doomed) RETURNING source_key
  ),
  -- Receipts that arrived before their message had a provider id, never linked to it.
  early_receipts AS (
    DELETE FROM message_receipts receipt USING doomed
     WHERE receipt.message_id IS NULL AND receipt.channel = doomed.channel
       AND receipt.provider_message_id = doomed.provider_message_id
    RETURNING receipt.source_key
  ),
  receipts AS (SELECT source_key FROM linked_receipts UNION ALL SELECT source_key FROM early_receipts),
  idempotency AS (DELETE FROM idempotency_keys WHERE message_id IN (SELECT id FROM doomed)),
  removed AS (DELETE FROM messages WHERE id IN (SELECT id FROM doomed) RETURNING id)
  SELECT (SELECT count(*) FROM removed)::int AS messages,
         (SELECT count(*) FROM receipts)::int AS receipts,
         ARRAY(SELECT source_key FROM receipts) AS receipt_sources`;

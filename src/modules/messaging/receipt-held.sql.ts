import { statement } from '../../platform/database/prepared-sql';

/**
 * Whether receipts wait for message $1: matched to it already (by the id the provider echoed),
 * or not yet matched but carrying the provider id its outcome recorded. Both probes are index
 * lookups (message_receipts_message_idx, message_receipts_orphan_idx); the message is read
 * first, by primary key, so that no plan walks the unmatched receipts to find it.
 */
export const HAS_HELD_RECEIPTS = statement(
  'receipts-has-held',
  `WITH sent AS MATERIALIZED (SELECT channel, provider_message_id FROM messages WHERE id = $1)
   SELECT EXISTS (SELECT 1 FROM message_receipts WHERE message_id = $1 AND held)
       OR EXISTS (SELECT 1 FROM sent
                    JOIN message_receipts r
                      ON r.channel = sent.channel AND r.provider_message_id = sent.provider_message_id
                   WHERE r.message_id IS NULL AND r.held) AS held`,
);

/**
 * The held receipts of message $1 (channel $2, provider id $3), matched to it and no longer
 * held, oldest first, with the time each happened: the provider's, else when we received it.
 * (A plain UPDATE … RETURNING would come back from TypeORM as [rows, count].)
 */
export const TAKE_HELD_RECEIPTS = statement(
  'receipts-take-held',
  `WITH taken AS (
     UPDATE message_receipts SET message_id = $1, held = false
      WHERE held AND (message_id = $1
                      OR (message_id IS NULL AND channel = $2 AND provider_message_id = $3))
     RETURNING id, status, error, COALESCE(provider_timestamp, received_at) AS at)
   SELECT * FROM taken ORDER BY id`,
);

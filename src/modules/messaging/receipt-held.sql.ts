import { statement } from '../../platform/database/prepared-sql';

/**
 * Which of the messages $1 (a uuid array) receipts wait for: matched to one already (by the id
 * the provider echoed), or not yet matched but carrying the provider id its outcome recorded.
 * Both probes are index lookups (message_receipts_message_idx, message_receipts_orphan_idx); the
 * messages are read first, by primary key, so that no plan walks the unmatched receipts to find
 * them.
 */
export const HAS_HELD_RECEIPTS = statement(
  'receipts-has-held',
  `WITH sent AS MATERIALIZED (
     SELECT id, channel, provider_message_id FROM messages WHERE id = ANY ($1::uuid[]))
   SELECT sent.id FROM sent
    WHERE EXISTS (SELECT 1 FROM message_receipts r WHERE r.message_id = sent.id AND r.held)
       OR EXISTS (SELECT 1 FROM message_receipts r
                   WHERE r.message_id IS NULL AND r.held
                     AND r.channel = sent.channel AND r.provider_message_id = sent.provider_message_id)`,
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

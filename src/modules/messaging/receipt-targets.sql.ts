import { statement } from '../../platform/database/prepared-sql';

/**
 * Locks, in id order, the outbound messages a batch of receipts is about: by our id where the
 * provider echoed it ($1), else by (channel, provider id) ($2, $3). Both lookups are index scans
 * (primary key, messages_provider_message_id_key): the ids are gathered first, as an array, so
 * that no plan walks the messages table to join them.
 */
export const LOCK_RECEIPT_TARGETS = statement(
  'receipts-lock-targets',
  `SELECT id FROM messages
    WHERE id = ANY (ARRAY(
            SELECT unnest($1::uuid[])
            UNION
            SELECT m.id
              FROM unnest($2::text[], $3::text[]) AS r(channel, provider_message_id)
              JOIN messages m ON m.channel = r.channel
                             AND m.provider_message_id = r.provider_message_id))
      AND direction = 'outbound'
    ORDER BY id FOR UPDATE`,
);

import { PUBLISHED_SEQ } from '../events/event-log';

/**
 * One batch of each kind of expired record, oldest first. $1 is the cutoff (a time, or for
 * tables keyed by time-ordered UUIDv7 ids the smallest id of that time, which walks the primary
 * key instead of needing an index on created_at), $2 the batch size. Each answers `pruned`.
 * SKIP LOCKED: two workers pruning at once take different rows instead of waiting on each other.
 */

/**
 * Only a prefix of the published log goes, so "oldest kept seq" stays a true boundary: an event
 * that is still young stops the batch even when some after it are older (a long transaction's
 * events carry its start time). So does an event a webhook delivery is still owed for: the
 * oldest pending delivery of each endpoint not deleted (a disabled one may be enabled again, a
 * failing one retries for about 27 h), and what the fan-out has not reached yet. The boundary
 * is recorded for readers (410 events_pruned).
 */
export const PRUNE_EVENTS = `
  WITH oldest AS MATERIALIZED (
    SELECT id, seq, created_at FROM events WHERE seq <= (${PUBLISHED_SEQ}) ORDER BY seq LIMIT $2
  ),
  young AS (SELECT min(seq) AS seq FROM oldest WHERE created_at >= $1),
  owed AS (
    SELECT min(seq) AS seq FROM (
      SELECT last_seq + 1 AS seq FROM webhook_dispatch_cursor
      UNION ALL
      SELECT first_pending.seq FROM webhook_endpoints e
       CROSS JOIN LATERAL (
         SELECT d.seq FROM webhook_deliveries d
          WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.seq IS NOT NULL
          ORDER BY d.seq LIMIT 1) AS first_pending
       WHERE e.deleted_at IS NULL) AS needed
  ),
  -- An array, so the batch is deleted by primary key whatever the statistics say.
  removed AS (
    DELETE FROM events WHERE id = ANY (ARRAY(
      SELECT id FROM oldest
       WHERE seq < COALESCE(LEAST((SELECT seq FROM young), (SELECT seq FROM owed)),
                            'Infinity'::numeric)))
    RETURNING seq
  ),
  boundary AS (
    UPDATE event_retention SET pruned_through = GREATEST(pruned_through, max_seq)
      FROM (SELECT max(seq) AS max_seq FROM removed) AS last
     WHERE last.max_seq IS NOT NULL
  )
  SELECT count(*)::int AS pruned FROM removed`;

/** One batch of `table`'s rows matching `where` (oldest first when there is an `order`), by `key`
 * (one or more columns). */
function pruneBatch(table: string, key: string, where: string, order?: string): string {
  return `
  WITH removed AS (
    DELETE FROM ${table} WHERE (${key}) IN (
      SELECT ${key} FROM ${table} WHERE ${where} ${order ? `ORDER BY ${order}` : ''} LIMIT $2
         FOR UPDATE SKIP LOCKED)
    RETURNING 1
  )
  SELECT count(*)::int AS pruned FROM removed`;
}

export const PRUNE_INBOUND_EVENTS = pruneBatch('inbound_events', 'id', 'id < $1::uuid', 'id');

/** Receipts about messages we never knew: raw provider reports, kept as long as the webhooks. */
export const PRUNE_ORPHAN_RECEIPTS = pruneBatch(
  'message_receipts',
  'id',
  'message_id IS NULL AND received_at < $1',
  'id',
);

export const PRUNE_IDEMPOTENCY_KEYS = pruneBatch(
  'idempotency_keys',
  'key',
  'created_at < $1',
  'created_at',
);

/** Messages in a final state (never one the worker still owes a send). */
export const SELECT_EXPIRED_MESSAGES = `
  SELECT id FROM messages
   WHERE id < $1::uuid AND status NOT IN ('queued', 'sending', 'retrying')
   ORDER BY id LIMIT $2
     FOR UPDATE SKIP LOCKED`;

export const PRUNE_INBOUND_MESSAGE_KEYS = pruneBatch(
  'inbound_message_keys',
  'channel, provider_message_digest',
  'received_at < $1',
  'received_at',
);

/**
 * Outgoing webhook deliveries that are settled (succeeded or failed), walked by their
 * time-ordered id through a partial index; never a pending one, which is still owed (or leased:
 * a lease only exists on a pending delivery). Pending deliveries of a deleted endpoint are owed
 * to no one and go too, unless a send is in flight.
 */
export const PRUNE_WEBHOOK_DELIVERIES = `
  WITH settled AS (
    SELECT id FROM webhook_deliveries
     WHERE id < $1::uuid AND status <> 'pending'
     ORDER BY id LIMIT $2
       FOR UPDATE SKIP LOCKED
  ),
  abandoned AS (
    SELECT d.id FROM webhook_endpoints e
      JOIN webhook_deliveries d ON d.endpoint_id = e.id
     WHERE e.deleted_at IS NOT NULL AND d.status = 'pending' AND d.id < $1::uuid
       AND (d.leased_until IS NULL OR d.leased_until <= now())
     LIMIT $2
       FOR UPDATE OF d SKIP LOCKED
  ),
  removed AS (
    DELETE FROM webhook_deliveries
     WHERE id IN (SELECT id FROM settled UNION ALL SELECT id FROM abandoned)
    RETURNING 1
  )
  SELECT count(*)::int AS pruned FROM removed`;

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
 * events carry its start time). The boundary is recorded for readers (410 events_pruned).
 */
export const PRUNE_EVENTS = `
  WITH oldest AS MATERIALIZED (
    SELECT id, seq, created_at FROM events WHERE seq <= (${PUBLISHED_SEQ}) ORDER BY seq LIMIT $2
  ),
  young AS (SELECT min(seq) AS seq FROM oldest WHERE created_at >= $1),
  removed AS (
    DELETE FROM events WHERE id IN (
      SELECT id FROM oldest WHERE seq < COALESCE((SELECT seq FROM young), 'Infinity'::numeric))
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
 * Outgoing webhook deliveries live in a table another module creates; this runs only once it
 * exists, and assumes nothing of it but `created_at` (rows by ctid, no index to order by).
 */
export const PRUNE_WEBHOOK_DELIVERIES = pruneBatch('webhook_deliveries', 'ctid', 'created_at < $1');

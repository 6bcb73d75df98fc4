/**
 * One batch of each kind of expired record, oldest first. $1 is the cutoff (a time, or for
 * tables keyed by time-ordered UUIDv7 ids the smallest id of that time, which walks the primary
 * key instead of needing an index on created_at), $2 the batch size. Each answers `pruned`.
 * SKIP LOCKED: two workers pruning at once take different rows instead of waiting on each other.
 */

/**
 * Only a prefix of the numbered log goes, so "oldest kept seq" stays a true boundary: an event
 * that is still young stops the batch even when some after it are older (a long transaction's
 * events carry its start time). The boundary is recorded for readers (410 events_pruned).
 */
export const PRUNE_EVENTS = `
  WITH oldest AS MATERIALIZED (
    SELECT id, seq, created_at FROM events WHERE seq IS NOT NULL ORDER BY seq LIMIT $2
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

export const PRUNE_INBOUND_EVENTS = `
  WITH removed AS (
    DELETE FROM inbound_events WHERE id IN (
      SELECT id FROM inbound_events WHERE id < $1::uuid ORDER BY id LIMIT $2
         FOR UPDATE SKIP LOCKED)
    RETURNING 1
  )
  SELECT count(*)::int AS pruned FROM removed`;

/** Receipts about messages we never knew: raw provider reports, kept as long as the webhooks. */
export const PRUNE_ORPHAN_RECEIPTS = `
  WITH removed AS (
    DELETE FROM message_receipts WHERE id IN (
      SELECT id FROM message_receipts WHERE message_id IS NULL AND received_at < $1 LIMIT $2
         FOR UPDATE SKIP LOCKED)
    RETURNING 1
  )
  SELECT count(*)::int AS pruned FROM removed`;

export const PRUNE_IDEMPOTENCY_KEYS = `
  WITH removed AS (
    DELETE FROM idempotency_keys WHERE key IN (
      SELECT key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2
         FOR UPDATE SKIP LOCKED)
    RETURNING 1
  )
  SELECT count(*)::int AS pruned FROM removed`;

/** Messages in a final state (never one the worker still owes a send). */
export const SELECT_EXPIRED_MESSAGES = `
  SELECT id FROM messages
   WHERE id < $1::uuid AND status NOT IN ('queued', 'sending', 'retrying')
   ORDER BY id LIMIT $2
     FOR UPDATE SKIP LOCKED`;

export const PRUNE_INBOUND_MESSAGE_KEYS = `
  WITH removed AS (
    DELETE FROM inbound_message_keys WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM inbound_message_keys WHERE received_at < $1 LIMIT $2))
    RETURNING 1
  )
  SELECT count(*)::int AS pruned FROM removed`;

/**
 * Outgoing webhook deliveries live in a table another module creates; this runs only once it
 * exists (ctid, because nothing here may assume its key).
 */
export const WEBHOOK_DELIVERIES_EXIST = `SELECT to_regclass('webhook_deliveries') IS NOT NULL AS exists`;
export const PRUNE_WEBHOOK_DELIVERIES = `
  WITH removed AS (
    DELETE FROM webhook_deliveries WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM webhook_deliveries WHERE created_at < $1 LIMIT $2))
    RETURNING 1
  )
  SELECT count(*)::int AS pruned FROM removed`;

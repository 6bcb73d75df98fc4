/**
 * attachment_blobs has one row per kept sha256: the row lock that saving and removing the same
 * bytes take, so a removal never runs between a save finding the bytes kept and its record
 * naming them. `touched_at` is when the bytes were last kept or found still named.
 */

/** Creates or locks the rows of $1 (text[], sorted: two savers lock in one order). */
export const TOUCH_BLOBS = `
  INSERT INTO attachment_blobs (sha256, touched_at)
  SELECT sha256, now() FROM unnest($1::text[]) AS sha256 ORDER BY sha256
  ON CONFLICT (sha256) DO UPDATE SET touched_at = now()`;

/**
 * Locks the row of $1 without touching it (created when missing, so the lock always exists):
 * its touched_at tells the collector whether a save may still be on its way to a record.
 */
export const LOCK_BLOB = `
  INSERT INTO attachment_blobs (sha256, touched_at) VALUES ($1, now())
  ON CONFLICT (sha256) DO UPDATE SET touched_at = attachment_blobs.touched_at
  RETURNING touched_at`;

/** Uploads of $1 never attached to a message, made before $2: nobody will send them now. */
export const REMOVE_UNSENT_UPLOADS = `
  DELETE FROM attachments file
   WHERE file.sha256 = $1 AND file.created_at < $2
     AND NOT EXISTS (SELECT 1 FROM message_attachments link WHERE link.attachment_id = file.id)`;

/** Whether any record names $1. Its own statement: it must see what committed while $1 was awaited. */
export const BLOB_NAMED = `SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = $1) AS named`;

export const DELETE_BLOB = `DELETE FROM attachment_blobs WHERE sha256 = $1`;

export const MARK_BLOB_NAMED = `UPDATE attachment_blobs SET touched_at = now() WHERE sha256 = $1`;

/** Bytes last touched before $1, oldest first: the collector's candidates. */
export const SELECT_STALE_BLOBS = `
  SELECT sha256 FROM attachment_blobs WHERE touched_at < $1 ORDER BY touched_at LIMIT $2`;

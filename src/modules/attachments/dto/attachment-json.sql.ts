/** mapAttachment() as SQL over an attachments row aliased `file`. */
const ATTACHMENT_JSON = `jsonb_build_object('id', file.id, 'status', file.status,
  'content_type', file.content_type, 'filename', file.filename, 'size', file.size,
  'sha256', file.sha256, 'error', file.error)`;

/** A message's `attachments` as SQL: its linked files in order, [] when none. */
export function messageAttachmentsJsonSql(messageId: string): string {
  return `COALESCE((SELECT jsonb_agg(${ATTACHMENT_JSON} ORDER BY link.position)
     FROM message_attachments link JOIN attachments file ON file.id = link.attachment_id
    WHERE link.message_id = ${messageId}), '[]'::jsonb)`;
}

/** The same for files named by an array parameter, for a statement that links them itself. */
export function attachmentIdsJsonSql(ids: string): string {
  return `COALESCE((SELECT jsonb_agg(${ATTACHMENT_JSON} ORDER BY listed.position)
     FROM unnest(${ids}) WITH ORDINALITY AS listed(id, position)
     JOIN attachments file ON file.id = listed.id), '[]'::jsonb)`;
}

/**
 * A file an inbound message carries, as its provider's payload describes it. Remote media are
 * fetched later by the worker; email attachments arrive with the webhook and are kept at once.
 */
export type InboundAttachmentSource =
  | { kind: 'whatsapp'; mediaId: string; contentType: string; filename: string | null }
  | { kind: 'twilio'; url: string; contentType: string }
  /** Base64 content of the JSON email form. */
  | { kind: 'inline'; content: string; contentType: string; filename: string | null }
  /** A SendGrid file already kept while its form was read. */
  | { kind: 'stored'; sha256: string; size: number; contentType: string; filename: string | null };

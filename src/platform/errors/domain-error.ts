/**
 * Errors the domain raises, whichever process calls it (API or worker). Only the HTTP layer
 * turns a code into a status (see http-exception.filter.ts).
 */
export type DomainErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid_input'
  | 'invalid_state'
  | 'channel_mismatch'
  | 'idempotency_key_reused'
  | 'whatsapp_window_closed'
  | 'unauthorized'
  | 'forbidden'
  | 'unsupported_media_type'
  | 'attachment_too_large'
  | 'attachment_type_not_allowed';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static notFound(resource: string, id: string): DomainError {
    return new DomainError('not_found', `${resource} ${id} not found`);
  }
}
